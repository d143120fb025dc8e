import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { freePort } from '../../lib';

export interface Postgres {
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: string;
  stop(): void;
}

/** Debian's PostgreSQL, a throw-away cluster on 127.0.0.1 owned by the test; the app's role has a password. */
export async function startPostgres(): Promise<Postgres> {
  const bin = fs.readdirSync('/usr/lib/postgresql').map((v) => `/usr/lib/postgresql/${v}/bin`).find((d) => fs.existsSync(`${d}/initdb`));
  if (!bin) {
    throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
  }
  const dir = fs.mkdtempSync('/tmp/caw-pg-');
  fs.chmodSync(dir, 0o755);
  execFileSync('chown', ['postgres:', dir]);
  const port = await freePort();
  const superPassword = `su-${Math.random().toString(36).slice(2)}`;
  const pwFile = path.join(dir, 'pw');
  fs.writeFileSync(pwFile, superPassword);
  execFileSync('chown', ['postgres:', pwFile]);
  const asPostgres = (argv: string[]) => execFileSync('runuser', ['-u', 'postgres', '--', ...argv], { stdio: 'pipe', cwd: dir });
  asPostgres([`${bin}/initdb`, '-D', `${dir}/data`, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwFile}`]);
  asPostgres([`${bin}/pg_ctl`, '-D', `${dir}/data`, '-w', '-l', `${dir}/log`, '-o', `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir}`, 'start']);
  const password = `pw-${Math.random().toString(36).slice(2)}'"$`;
  const sql = (text: string) => execFileSync(`${bin}/psql`, ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', text], { env: { ...process.env, PGPASSWORD: superPassword }, stdio: 'pipe' });
  sql(`CREATE ROLE mysite LOGIN PASSWORD '${password.replace(/'/g, "''")}'`);
  sql('CREATE DATABASE mysite OWNER mysite');
  return {
    port, database: 'mysite', user: 'mysite', password,
    stop: () => {
      try {
        asPostgres([`${bin}/pg_ctl`, '-D', `${dir}/data`, '-m', 'fast', '-w', 'stop']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
