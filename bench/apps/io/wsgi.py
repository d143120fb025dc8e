"""I/O-bound benchmark app: each request waits 20 ms (a database or HTTP call) and then answers."""
import time

WAIT_SEC = 0.020
BODY = b'waited 20 ms\n'


def application(environ, start_response):
    time.sleep(WAIT_SEC)
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(BODY)))])
    return [BODY]
