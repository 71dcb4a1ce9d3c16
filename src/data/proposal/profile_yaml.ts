/**
 * Writes a profile proposal as YAML with a one-line comment on every choice, through the `yaml`
 * package's Document API (comments attach to the nodes they explain).
 *
 * @module
 */
import { Document, isMap, isPair, isScalar, isSeq, visit } from "yaml";
import type { Node, Pair } from "yaml";
import type { ProfileProposal } from "./profile.ts";

/** Options of {@link proposalToYaml}. */
export interface ProposalToYamlOptions {
  /**
   * Lines written as comments at the top of the file.
   * @default []
   */
  header?: readonly string[];
}

function oneLine(text: string): string {
  return ` ${text.replace(/\s*\n\s*/g, " ").trim()}`;
}

/** Finds the pair (in a map) or the item (in a list) at a key path. */
function nodeAt(doc: Document, path: readonly (string | number)[]): Pair | Node | null {
  let current: unknown = doc.contents;
  let found: Pair | Node | null = null;
  for (const key of path) {
    if (isMap(current)) {
      const pair = current.items.find((item) =>
        isPair(item) && (isScalar(item.key) ? item.key.value : item.key) === key
      );
      if (pair === undefined) return null;
      found = pair;
      current = pair.value;
    } else if (isSeq(current) && typeof key === "number") {
      const item = current.items[key];
      if (item === undefined) return null;
      found = item as Node;
      current = item;
    } else {
      return null;
    }
  }
  return found;
}

/**
 * Renders a proposal as a commented YAML profile.
 *
 * A comment on a single value goes at the end of its line; on a map or a list, on the line
 * above its key. Column names with spaces or punctuation are quoted; short lists are written
 * inline.
 *
 * @param proposal the proposal, from `proposeProfile`
 * @param options header lines
 * @returns the YAML text, ending with a line break
 * @example
 * ```ts
 * await Deno.writeTextFile("config/profiles/weather.yaml", proposalToYaml(proposal));
 * ```
 */
export function proposalToYaml(
  proposal: ProfileProposal,
  options: ProposalToYamlOptions = {},
): string {
  const doc = new Document(proposal.profile);
  visit(doc, {
    Pair(_, pair) {
      if (
        isScalar(pair.key) && typeof pair.key.value === "string" && /[^\w.-]/.test(pair.key.value)
      ) {
        pair.key.type = "QUOTE_DOUBLE";
      }
      // Separators and quotes are punctuation (a tab is invisible): always write them quoted.
      if (
        isScalar(pair.key) && (pair.key.value === "separator" || pair.key.value === "quote") &&
        isScalar(pair.value)
      ) {
        pair.value.type = "QUOTE_DOUBLE";
      }
    },
    Seq(_, seq) {
      if (seq.items.every((item) => isScalar(item) || isSeq(item))) seq.flow = true;
    },
  });
  visit(doc, {
    Map(_, map) {
      // Column rules, null strategies, derived features and transformers read best on one line.
      const flat = map.items.every((item) =>
        isPair(item) && (isScalar(item.value) || (isSeq(item.value) && item.value.flow === true))
      );
      const keys = map.items.map((
        item,
      ) => (isPair(item) && isScalar(item.key) ? item.key.value : ""));
      if (flat && ["strategy", "dtype", "nullable", "kind"].some((key) => keys.includes(key))) {
        map.flow = true;
      }
    },
  });
  for (const comment of proposal.comments) {
    const node = nodeAt(doc, comment.path);
    if (node === null) continue;
    const text = oneLine(comment.text);
    if (isPair(node)) {
      if (isScalar(node.value) || ((isSeq(node.value) || isMap(node.value)) && node.value.flow)) {
        node.value!.comment = text;
      } else if (isScalar(node.key)) {
        node.key.commentBefore = text;
      }
    } else {
      const item = node as Node;
      if ((isMap(item) || isSeq(item)) && item.flow === true) item.comment = text;
      else item.commentBefore = text;
    }
  }
  const header = options.header ?? [];
  if (header.length > 0) doc.commentBefore = header.map(oneLine).join("\n");
  return doc.toString({ lineWidth: 0 });
}
