// Counts a RestClient's requests for tests and benches ("no write while idle", "one TokenReview
// per call") through the same observer hook the operator's metrics use, so production code keeps
// no counters of its own.
import { WRITE_METHODS, type RestClient } from '../../runtime/rest.ts';

export class RequestCounter {
  /** Requests sent, by method, counted as they leave (a request still in flight is counted). */
  readonly sent = new Map<string, number>();
  /** Requests answered, by `METHOD code` (e.g. `PUT 409`, `GET <error>`). */
  readonly answered = new Map<string, number>();

  constructor(rest: RestClient) {
    rest.observe({
      sent: (r) => this.sent.set(r.method, this.of(r.method) + 1),
      done: (r, code) => this.answered.set(`${r.method} ${code}`, (this.answered.get(`${r.method} ${code}`) ?? 0) + 1),
    });
  }

  of(method: string): number {
    return this.sent.get(method) ?? 0;
  }

  get writes(): number {
    let n = 0;
    for (const [m, c] of this.sent) if (WRITE_METHODS.has(m)) n += c;
    return n;
  }

  get total(): number {
    let n = 0;
    for (const c of this.sent.values()) n += c;
    return n;
  }
}
