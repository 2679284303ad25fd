import type { ProtocolNodeLog } from '@shared';

/**
 * A protocol node's log as text lines: one header per stored attempt (when it finished, done or
 * failed), then what it made (run, checkpoint, artifacts) or its error, line by line.
 */
export function nodeLogLines(log: ProtocolNodeLog): string[] {
  if (log.entries.length === 0) return [`${log.nodeId}: nothing stored yet (the node has not finished).`];
  return log.entries.flatMap((entry, i) => {
    const head = `${entry.finishedAt}  attempt ${i + 1}: ${entry.status}  (record #${entry.artifactId})`;
    const { runId, checkpointId, artifactId, artifactIds } = entry.outputs;
    const made = [
      ...(runId === undefined ? [] : [`  run #${runId}`]),
      ...(checkpointId === undefined ? [] : [`  checkpoint #${checkpointId}`]),
      ...(artifactId === undefined ? [] : [`  artifact #${artifactId}`]),
      ...(artifactIds === undefined || artifactIds.length === 0
        ? []
        : [`  artifacts ${artifactIds.map((id) => `#${id}`).join(', ')}`]),
    ];
    const error = entry.error === null ? [] : entry.error.split('\n').map((line) => `  error: ${line}`);
    return [head, ...made, ...error];
  });
}
