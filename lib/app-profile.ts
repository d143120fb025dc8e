/**
 * What a WSGI app spends a request on: sets the threads of each daemon process
 * when `threads` is left out. Processes follow the host's CPUs; threads follow
 * the app. By Little's law the requests in flight are peak req/s x mean latency,
 * and every one of them needs a thread: processes x threads >= that number.
 */
export class AppProfile {
  /**
   * Requests mostly wait: on a database, an HTTP API, a file store (the usual web
   * app). 32 threads per process, 128 per group on 2 CPUs (4 processes): an app
   * waiting 20 ms per request served 128 clients at ~5,000 req/s with 128 threads
   * and ~1,500 req/s with 32 (bench/served.ts).
   */
  public static readonly IO_BOUND = new AppProfile('IO_BOUND', 32);

  /**
   * Requests mostly compute in Python (templates, serialization, number crunching):
   * under the GIL only one thread per process runs Python at a time, so a few
   * threads overlap the socket I/O and more would only queue inside the process.
   */
  public static readonly CPU_BOUND = new AppProfile('CPU_BOUND', 4);

  private constructor(
    /** Name of the profile, e.g. 'IO_BOUND'. */
    public readonly name: string,
    /** Request threads each daemon process gets. */
    public readonly threadsPerProcess: number,
  ) {}
}
