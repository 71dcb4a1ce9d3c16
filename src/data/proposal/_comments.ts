/**
 * The comments a proposal attaches to its choices: one line per key path.
 *
 * @module
 */

/** A key path in the proposed profile, e.g. `["cleaning", "nulls", "wind"]`. */
export type ProposalPath = readonly (string | number)[];

/** One comment on one choice. */
export interface ProposalComment {
  path: ProposalPath;
  /** One line, without the leading `#`. */
  text: string;
}
