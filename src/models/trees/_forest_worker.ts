/**
 * A random-forest training thread (see `_forest_threads.ts`): it grows the trees it is sent,
 * in order, and posts each back as soon as it is grown.
 *
 * @module
 */
import { type ForestWorkerMessage, growForestTree } from "./_forest_threads.ts";

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<ForestWorkerMessage>) => void) | null;
  postMessage(message: ForestWorkerMessage): void;
};

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type !== "grow") return;
  try {
    for (const t of message.trees) {
      scope.postMessage({ type: "tree", t, grown: growForestTree(message.job, t) });
    }
  } catch (error) {
    scope.postMessage({
      type: "error",
      message: error instanceof Error ? error.message : String(error),
    });
  }
};
