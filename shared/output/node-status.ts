/** The status of a node's Ready condition: its `status`, or null when the node reports no Ready condition. */
export type NodeReadiness = 'True' | 'False' | 'Unknown' | null

/** Reads the Ready condition the way {@link nodeStatusText} needs it. */
export function nodeReadiness(conditions: readonly { type?: string; status?: string }[] | undefined): NodeReadiness {
  const status = conditions?.find((c) => c.type === 'Ready')?.status
  if (status === undefined) return null
  return status === 'True' || status === 'False' ? status : 'Unknown'
}

/**
 * The STATUS of `kubectl get nodes`: `Ready` when the Ready condition is True, `NotReady` when it is anything
 * else (False, or Unknown once the node stopped reporting), `Unknown` only when there is no Ready condition at all;
 * then `,SchedulingDisabled` for a cordoned node. So a lost, cordoned node reads `NotReady,SchedulingDisabled`.
 */
export function nodeStatusText(ready: NodeReadiness, schedulable: boolean): string {
  const word = ready === null ? 'Unknown' : ready === 'True' ? 'Ready' : 'NotReady'
  return schedulable ? word : `${word},SchedulingDisabled`
}
