// kwok stages that testenv adds to the ones kwokctl ships (hack/testenv-bins.sh copies those into
// the binaries' folder), where kwok's fake kubelet falls short of a real one in a way tests notice.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A Running pod whose Ready condition is not True gets it back, as a kubelet's status manager would.
 *
 * The node-lifecycle controller sets Ready=False on every pod of a node whose Lease it has not seen
 * renewed within its grace period (MarkPodsNotReady). That happens without any fault of the node:
 * after kube-apiserver restarts in quick succession, kube-controller-manager's informers back off
 * (client-go's reflector waits up to [30, 60) s between retries, and only resets after 2 min of
 * health), so its Lease cache misses renewals that kwok made and it declares the nodes NotReady.
 * A real kubelet reconciles pod status with the apiserver every 10 s and writes its own view back
 * (its probes say Ready), so the pods recover as soon as the node does. kwok's shipped pod stages
 * only act on Pending pods, so without this stage the pods stayed NotReady forever, and every
 * StatefulSet, and every Cluster above it, with them (`make test-resilience`, apiserver restarts).
 *
 * The delay is the kubelet's status sync period, so a test still sees the pods NotReady for a
 * moment, as it would on a real cluster.
 */
export const POD_READY_AGAIN = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: testenv-pod-ready-again
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.phase'
      operator: 'In'
      values:
      - 'Running'
    - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
      operator: 'NotIn'
      values:
      - 'True'
  delay:
    durationMilliseconds: 1000
    jitterDurationMilliseconds: 10000
  next:
    patches:
    - subresource: status
      root: status
      type: strategic
      template: |
        {{ $now := Now }}
        conditions:
        - lastTransitionTime: {{ $now | Quote }}
          status: "True"
          type: Ready
        - lastTransitionTime: {{ $now | Quote }}
          status: "True"
          type: ContainersReady
`;

/** Writes testenv's own stages into dir; returns the file to pass to kwok after the shipped ones. */
export function writeTestenvStages(dir: string): string {
  const file = join(dir, 'kwok-testenv-stages.yaml');
  writeFileSync(file, POD_READY_AGAIN);
  return file;
}
