/**
 * What a WSGI app spends a request on: sets the threads of each daemon process
 * when `threads` is left out. Processes follow the host's CPUs; threads follow
 * the app. By Little's law the requests in flight are peak req/s x mean latency,
 * and every one of them needs a thread: processes x threads >= that number.
 */
export class AppProfile {
  /**
   * Requests mostly wait: on a database, an HTTP API, a file store (the usual web
   * app). 64 threads per process: on 2 CPUs an app waiting 20 ms per request served
   * 128 clients at 5,352 req/s with 2 x 64 and 1,421 req/s with 2 x 15.
   */
  public static readonly IO_BOUND = new AppProfile('IO_BOUND', 64);

  /**
   * Requests mostly compute in Python (templates, serialization, number crunching):
   * under the GIL only one thread per process runs Python at a time, so a few
   * threads overlap the socket I/O and more would only queue inside the process.
   */
  public static readonly CPU_BOUND = new AppProfile('CPU_BOUND', 8);

  private constructor(
    /** Name of the profile, e.g. 'IO_BOUND'. */
    public readonly name: string,
    /** Request threads each daemon process gets. */
    public readonly threadsPerProcess: number,
  ) {}
}
