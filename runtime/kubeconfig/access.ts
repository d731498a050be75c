// What the REST client needs to reach the API server: its address, and the TLS material and
// headers of one request. Asked per request, so a rotated token or an exec plugin's new
// credential is used as soon as it exists. client-node's KubeConfig has the same shape, so either
// the runtime's own loader or the library's can stand behind it.
import type https from 'node:https';

export interface ClusterAccess {
  getCurrentCluster(): { server: string } | null;
  applyToHTTPSOptions(opts: https.RequestOptions): Promise<void>;
}
