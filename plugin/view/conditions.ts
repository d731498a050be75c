// The conditions of the Cluster and its children, each named by its object, and marked when it
// says what a settled object says, so the text can leave the expected ones out. Pure.
import type { Condition } from '../../api/v1alpha1/types.generated.ts';
import { isoOf } from './time.ts';
import type { ConditionView } from './types.ts';

/** The status each condition type has when all is well; a type not listed is worth showing. */
const SETTLED: Readonly<Record<string, string>> = { Ready: 'True', Progressing: 'False', Degraded: 'False', MonitoringAvailable: 'True' };

export function conditionViews(object: string, conditions: readonly Condition[] | undefined): ConditionView[] {
  return (conditions ?? []).map((c) => {
    const at = isoOf(c.lastTransitionTime);
    return {
      object,
      type: c.type,
      status: c.status,
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.message ? { message: c.message } : {}),
      ...(at ? { lastTransitionTime: at } : {}),
      expected: SETTLED[c.type] === c.status,
    };
  });
}
