"""Hello-world WSGI app that also reports how mod_wsgi runs it (used by the integration tests)."""
import json
import sys


def application(environ, start_response):
    path = environ.get('PATH_INFO', '')
    if path == '/env':
        body = json.dumps({
            'app': 'hello',
            'process_group': environ.get('mod_wsgi.process_group'),
            'application_group': environ.get('mod_wsgi.application_group'),
            'multiprocess': environ.get('wsgi.multiprocess'),
            'multithread': environ.get('wsgi.multithread'),
            'prefix': sys.prefix,
            'python': '%d.%d' % sys.version_info[:2],
            'script_name': environ.get('SCRIPT_NAME'),
        }).encode()
        start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))])
        return [body]
    body = b'Hello from mod_wsgi\n'
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])
    return [body]
