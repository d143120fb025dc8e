"""Bench only: per process, the requests an app served and the CPU its own code took.

wrap() times each call of the WSGI callable, body included, with
time.thread_time(): CPU of that thread only, so time spent waiting for the GIL or
a CPU does not count. Every 0.2 s a request writes the process's running totals
("<requests> <cpu seconds>") to <stats_dir>/<pid>. The profile reads the files
before and after a load run: the app's CPU per request is the difference of the
sums, and whatever else the server's processes spent is the server's. A snapshot
is at most 0.2 s old, but its two numbers always belong together, so the ratio
holds.
"""
import os
import threading
import time


def wrap(application, stats_dir):
    lock = threading.Lock()
    totals = {'requests': 0, 'cpu': 0.0, 'written': 0.0}
    path = os.path.join(stats_dir, str(os.getpid()))

    def timed(environ, start_response):
        started = time.thread_time()
        result = application(environ, start_response)
        try:
            body = b''.join(result)
        finally:
            if hasattr(result, 'close'):
                result.close()
        spent = time.thread_time() - started
        snapshot = None
        with lock:
            totals['requests'] += 1
            totals['cpu'] += spent
            now = time.monotonic()
            if now - totals['written'] >= 0.2:
                totals['written'] = now
                snapshot = '%d %.6f' % (totals['requests'], totals['cpu'])
        if snapshot is not None:
            partial = '%s.%d' % (path, threading.get_ident())
            with open(partial, 'w') as f:
                f.write(snapshot)
            os.replace(partial, path)
        return [body]

    return timed
