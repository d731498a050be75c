// What a reconciler is asked to converge, as controller-runtime's reconcile.Request: just a name.
export interface Request {
  namespace: string;
  name: string;
}
