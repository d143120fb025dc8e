"""A small JSON API: echoes request details and the interpreter it runs in."""
import json
import sys


def application(environ, start_response):
    path = environ.get('PATH_INFO', '') or '/'
    if environ['REQUEST_METHOD'] == 'POST':
        length = int(environ.get('CONTENT_LENGTH') or 0)
        received = len(environ['wsgi.input'].read(length))
        payload = {'received_bytes': received}
    elif path == '/env':
        payload = {
            'app': 'api',
            'process_group': environ.get('mod_wsgi.process_group'),
            'application_group': environ.get('mod_wsgi.application_group'),
            'multiprocess': environ.get('wsgi.multiprocess'),
            'multithread': environ.get('wsgi.multithread'),
            'prefix': sys.prefix,
            'python': '%d.%d' % sys.version_info[:2],
            'script_name': environ.get('SCRIPT_NAME'),
        }
    else:
        payload = {'app': 'api', 'path': path, 'items': [1, 2, 3]}
    body = json.dumps(payload).encode()
    start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))])
    return [body]
