// Redaction for the diagnostics bundle and the container detail pane (src/diag/redact.ts): every
// rule by itself, names that must and must not count as secret, structures, streams, idempotence.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import {
  LineRedactor, MASK, isSecretName, nameComponents, redactArgv, redactConfig, redactEnv, redactEnvEntry, redactLine,
  redactStream, redactText, redactValue, shouldMask,
} from '../../src/diag/redact.js';

const M = MASK;

describe('secret names', () => {
  it('the issue\'s words, any case, as components, suffixes and prefixes', () => {
    for (const name of [
      'PASS', 'password', 'DB_PASSWORD', 'PGPASSWORD', 'MYSQL_ROOT_PASSWORD', 'passwd', 'passphrase', 'DBPASS', 'redis_pwd',
      'SECRET', 'clientSecret', 'SECRET_KEY_BASE', 'secrets', 'API_TOKEN', 'accessToken', 'GITHUB_TOKEN', 'authtoken',
      'KEY', 'api_key', 'apiKey', 'APIKEY', 'privateKey', 'ssh-key', 'AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID',
      'CREDENTIALS', 'gcp.credential', 'creds', 'AUTH', 'Authorization', 'oauth', 'BASIC_AUTH', 'X-Api-Key', 'PRIVATE',
      'private_key_file', 'passwordFile', 'traefik.http.middlewares.a.basicauth.users',
    ]) assert.equal(isSecretName(name), true, name);
  });

  it('ordinary words that merely contain one are not secret ("monkey", "keyspace", "author" …)', () => {
    for (const name of [
      'monkey', 'MONKEY_BUSINESS', 'keyboard', 'keyspace_hits', 'keyspace_misses', 'author', 'AUTHORITY', 'passenger',
      'PASSENGER_APP_ENV', 'bypass', 'compass', 'tokenizer', 'TOKENIZERS_PARALLELISM', 'hockey', 'turkey', 'PATH', 'HOME',
      'POSTGRES_USER', 'POSTGRES_DB', 'keepLast', 'url', 'host', 'port', 'PWD', 'OLDPWD', 'privileged', 'Privileged', 'hotkey',
    ]) assert.equal(isSecretName(name), false, name);
  });

  it('components come from separators and camelCase', () => {
    assert.deepEqual(nameComponents('POSTGRES_PASSWORD'), ['postgres', 'password']);
    assert.deepEqual(nameComponents('clientSecret'), ['client', 'secret']);
    assert.deepEqual(nameComponents('traefik.http.basicauth-users'), ['traefik', 'http', 'basicauth', 'users']);
  });

  it('a whole number under KEY(S)/TOKENS/PRIVATE is a counter or a port; under PASS/SECRET/TOKEN/AUTH it is masked', () => {
    assert.equal(shouldMask('expired_keys', '12'), false);
    assert.equal(shouldMask('keys', '5'), false);
    assert.equal(shouldMask('active_defrag_key_hits', '0'), false);
    assert.equal(shouldMask('PrivatePort', '5432'), false);
    assert.equal(shouldMask('MAX_TOKENS', '4096'), false);
    assert.equal(shouldMask('API_KEYS', 'k1,k2'), true);
    assert.equal(shouldMask('API_KEY', 'abc123'), true);
    assert.equal(shouldMask('DB_PASSWORD', '123456'), true);
    assert.equal(shouldMask('API_TOKEN', '123456'), true);
  });
});

describe('value patterns in a line', () => {
  const cases: Array<[string, string, string]> = [
    ['URL credentials', 'connecting to postgres://shop:hunter2@db:5432/shop failed', `connecting to postgres://shop:${M}@db:5432/shop failed`],
    ['URL credentials, any scheme', 'amqp://guest:guest-pw@rabbit/ and redis://:s3cret@cache:6379/0', `amqp://guest:${M}@rabbit/ and redis://:${M}@cache:6379/0`],
    ['URL with a token as user', 'clone https://ghp1234567890abcdefXYZ@github.com/org/repo', `clone https://${M}@github.com/org/repo`],
    ['URL with a user only stays', 'ssh://ops@db1 and https://alice@example.com/x', 'ssh://ops@db1 and https://alice@example.com/x'],
    ['token query parameter', 'GET https://api.example.com/v1?page=2&access_token=abc123 200', `GET https://api.example.com/v1?page=2&access_token=${M} 200`],
    ['Go MySQL DSN', 'dsn shop:hunter2@tcp(db:3306)/shop', `dsn shop:${M}@tcp(db:3306)/shop`],
    ['Bearer token', 'Authorization: Bearer eyJhbGciOi.J9.abc-def_ghi', `Authorization: Bearer ${M}`],
    ['bearer, lower case, in prose', 'sent bearer abcdef123456 to upstream', `sent bearer ${M} to upstream`],
    ['Basic auth header', 'Authorization: Basic dXNlcjpwYXNz', `Authorization: Basic ${M}`],
    ['cookie header', 'Cookie: session=abc123; theme=dark', `Cookie: ${M}`],
    ['JWT anywhere', 'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_part-1 ok', `token ${M} ok`],
    ['AWS access key id', 'aws key AKIAIOSFODNN7EXAMPLE in env', `aws key ${M} in env`],
    ['AWS secret after aws_secret, space separated', 'aws_secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', `aws_secret_access_key ${M}`],
    ['GitHub token', 'pushed with ghp_abcdefghijklmnopqrstuvwxyz0123456789', `pushed with ${M}`],
    ['Slack token', 'slack xoxb-123456789012-abcdefghijkl', `slack ${M}`],
    ['SQL password', "ALTER USER shop WITH PASSWORD 'hunter2' VALID UNTIL 'infinity'", `ALTER USER shop WITH PASSWORD '${M}' VALID UNTIL 'infinity'`],
    ['MySQL IDENTIFIED BY', "CREATE USER 'a'@'%' IDENTIFIED BY 'pw''x'", `CREATE USER 'a'@'%' IDENTIFIED BY '${M}'`],
    ['env assignments in a line', 'POSTGRES_USER=shop POSTGRES_PASSWORD=hunter2 up', `POSTGRES_USER=shop POSTGRES_PASSWORD=${M} up`],
    ['a whole env line keeps nothing after =', 'API_TOKEN=two words here', `API_TOKEN=${M}`],
    ['a line of assignments is taken one by one', 'POSTGRES_PASSWORD=hunter2 POSTGRES_USER=shop', `POSTGRES_PASSWORD=${M} POSTGRES_USER=shop`],
    ['a YAML line with a flag after it', 'token: abc123 --db-password=xyz', `token: ${M} --db-password=${M}`],
    ['export line', 'export DB_PASSWORD="a b"', `export DB_PASSWORD=${M}`],
    ['YAML key line', '  password: two words', `  password: ${M}`],
    ['YAML list item', '- api_key: abc', `- api_key: ${M}`],
    ['key=value in a log line', 'level=info msg=login user=bob token=abc123 ip=1.2.3.4', `level=info msg=login user=bob token=${M} ip=1.2.3.4`],
    ['quoted values', 'password="a b c" user=x', `password=${M} user=x`],
    ['flag with =', 'run --db-password=xyz --port=5432', `run --db-password=${M} --port=5432`],
    ['flag and separate value', 'redis-server --requirepass hunter2 --port 6379', `redis-server --requirepass ${M} --port 6379`],
    ['JSON pair', '{"password": "hunter2", "user": "shop"}', `{"password": "${M}", "user": "shop"}`],
    ['JSON number under a secret key', '{"api_token": 1234567, "count": 3}', `{"api_token": ${M}, "count": 3}`],
    ['Ruby hash', '{:password => "x1", "api_token" => "x2", :user => "bob"}', `{:password => ${M}, "api_token" => "${M}", :user => "bob"}`],
    ['XML element', '<user>bob</user><password>x1</password>', `<user>bob</user><password>${M}</password>`],
    ['curl -u', 'curl -u admin:x1 https://h/ and --user=bob:x2', `curl -u admin:${M} https://h/ and --user=bob:${M}`],
    ['Python repr', "{'secret': 'x1', 'name': 'y'}", `{'secret': '${M}', 'name': 'y'}`],
    ['docker inspect Env', '"Env": ["POSTGRES_PASSWORD=two words", "PATH=/usr/bin"]', `"Env": ["POSTGRES_PASSWORD=${M}", "PATH=/usr/bin"]`],
    ['Env value with a quote', `"Env": ["PASSWORD=it's", "X=1"]`, `"Env": ["PASSWORD=${M}", "X=1"]`],
    ['Redis INFO counters stay', 'expired_keys:12', 'expired_keys:12'],
    ['Redis INFO keyspace line stays', 'db0:keys=5,expires=0,avg_ttl=0', 'db0:keys=5,expires=0,avg_ttl=0'],
    ['Redis INFO defrag counters stay', 'active_defrag_key_hits:0', 'active_defrag_key_hits:0'],
    ['keyspace_hits stays', 'keyspace_hits:1234', 'keyspace_hits:1234'],
    ['monkey stays', 'monkey: banana and keyboard=us', 'monkey: banana and keyboard=us'],
    ['a bare colon after KEY is a namespace', 'SET key:user42 value and cache key:abc', 'SET key:user42 value and cache key:abc'],
    ['… after PASSWORD it is not', 'login password:hunter2 ok', `login password:${M} ok`],
    ['exception names are not secret names', "KeyError: 'lines'", "KeyError: 'lines'"],
    ['… nor in Java', 'javax.security.auth.login.LoginException: bad user', 'javax.security.auth.login.LoginException: bad user'],
    ['nothing secret', 'GET /health 200 in 12ms at 2026-11-23T14:41:33Z', 'GET /health 200 in 12ms at 2026-11-23T14:41:33Z'],
    ['password prose', 'password authentication failed for user "shop"', 'password authentication failed for user "shop"'],
  ];
  for (const [label, input, expected] of cases) it(label, () => assert.equal(redactLine(input), expected));

  it('is idempotent', () => {
    for (const [, input] of cases) assert.equal(redactLine(redactLine(input)), redactLine(input), input);
  });
});

describe('PEM private keys', () => {
  const block = ['-----BEGIN RSA PRIVATE KEY-----', 'MIIEowIBAAKCAQEAx1', 'Zm9vYmFy', '-----END RSA PRIVATE KEY-----'];

  it('a block across lines: body masked, markers kept, text around untouched', () => {
    assert.equal(redactText(['before', ...block, 'after'].join('\n')), ['before', block[0], M, M, block[3], 'after'].join('\n'));
  });

  it('line by line (a log stream): the same, with state between lines', () => {
    const r = new LineRedactor();
    assert.deepEqual(['x', ...block, 'y token=1'].map((l) => r.line(l)), ['x', block[0], M, M, block[3], `y token=${M}`]);
  });

  it('a cut-off block masks what follows, and gives up after a bound', () => {
    assert.equal(redactText('x\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg'), `x\n-----BEGIN PRIVATE KEY-----\n${M}`);
    const r = new LineRedactor();
    r.line('-----BEGIN OPENSSH PRIVATE KEY-----');
    for (let i = 0; i < 300; i++) assert.equal(r.line('b3BlbnNzaC1rZXktdjE'), M);
    assert.equal(r.line('ordinary line'), 'ordinary line');
  });

  it('on one line with escaped newlines (a JSON string)', () => {
    const json = '{"key_file": "/x", "pem": "-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEE\\n-----END EC PRIVATE KEY-----\\n"}';
    assert.equal(redactLine(json), redactLine(json));
    const out = redactText(json);
    assert.ok(!out.includes('MHcCAQEE'), out);
    assert.ok(out.includes('-----END EC PRIVATE KEY-----'));
  });

  it('public keys and certificates are left alone', () => {
    const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    assert.equal(redactText(cert), cert);
  });
});

describe('streams', () => {
  it('redactStream redacts line by line across chunk boundaries, PEM blocks included', async () => {
    const input = 'a password=hunter2\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADAN\n-----END PRIVATE KEY-----\nAuthorization: Bearer abc.def\nlast line token=zz';
    // Chunks cut inside words and lines.
    const chunks = input.match(/[\s\S]{1,7}/g)!;
    let out = '';
    for await (const piece of Readable.from(chunks).pipe(redactStream())) out += String(piece);
    assert.equal(out, redactText(input));
    assert.ok(!/hunter2|MIIEvQ|abc\.def|zz/.test(out), out);
  });
});

describe('structures', () => {
  it('an environment: whole values under secret names, value rules for the rest', () => {
    assert.equal(redactEnvEntry('DB_PASSWORD=two words'), `DB_PASSWORD=${M}`);
    assert.equal(redactEnvEntry('DATABASE_URL=postgres://shop:pw@db/shop'), `DATABASE_URL=postgres://shop:${M}@db/shop`);
    assert.equal(redactEnvEntry('EMPTY_TOKEN='), 'EMPTY_TOKEN=');
    assert.deepEqual(redactEnv(['A=1', 'API_TOKEN=t0k', 'MONKEY=george']), [
      { name: 'A', value: '1' }, { name: 'API_TOKEN', value: M }, { name: 'MONKEY', value: 'george' },
    ]);
  });

  it('an argv: the value after a secret flag', () => {
    assert.deepEqual(redactArgv(['redis-server', '--requirepass', 'hunter2', '--port', '6379']), ['redis-server', '--requirepass', M, '--port', '6379']);
    assert.deepEqual(redactArgv(['app', '--token=abc', '-p', '80']), ['app', `--token=${M}`, '-p', '80']);
  });

  it('docker inspect shaped data', () => {
    const inspect = {
      Id: 'abc',
      Config: {
        Env: ['POSTGRES_PASSWORD=pw 1', 'PATH=/usr/bin', 'REDIS_URL=redis://:pw2@cache:6379'],
        Cmd: ['postgres', '-c', 'password_encryption=scram-sha-256'],
        Entrypoint: ['redis-server', '--requirepass', 'pw3'],
        Labels: { 'com.docker.compose.project': 'shop', 'traefik.http.middlewares.a.basicauth.users': 'u:$apr1$x' },
        Healthcheck: { Test: ['CMD', 'curl', '-H', 'Authorization: Bearer pw4', 'http://x'] },
      },
      NetworkSettings: { Ports: { '5432/tcp': [{ HostIp: '0.0.0.0', HostPort: '5432' }] } },
      State: { ExitCode: 0, OOMKilled: false },
    };
    const out = redactValue(inspect);
    const text = JSON.stringify(out);
    for (const secret of ['pw 1', 'pw2', 'pw3', 'pw4', '$apr1$x']) assert.ok(!text.includes(secret), `${secret} in ${text}`);
    assert.deepEqual(out.Config.Env, [`POSTGRES_PASSWORD=${M}`, 'PATH=/usr/bin', `REDIS_URL=redis://:${M}@cache:6379`]);
    assert.deepEqual(out.Config.Entrypoint, ['redis-server', '--requirepass', M]);
    assert.deepEqual(out.NetworkSettings, inspect.NetworkSettings);
    assert.deepEqual(out.State, inspect.State);
    assert.equal(inspect.Config.Env[0], 'POSTGRES_PASSWORD=pw 1', 'the input is not modified');
  });

  it('objects under a secret name are secret throughout; counts stay', () => {
    assert.deepEqual(redactValue({ auth: { user: 'bob', pass: 'x' }, expired_keys: 5, api_keys: ['a', 'b'], token: '' }), {
      auth: { user: M, pass: M }, expired_keys: 5, api_keys: [M, M], token: '',
    });
  });

  it('the config: masked like `config print` (webhook paths too) and by the bundle\'s rules', () => {
    const config = {
      alerts: { webhook: { url: 'https://ops:hook-pw@hooks.example.com/services/T0/B0/xyz' } },
      backups: { targets: { db: { postgres: { container: 'c', password: 'pg-pw' } } } },
      refresh: 2000,
    };
    const text = JSON.stringify(redactConfig(config));
    for (const secret of ['hook-pw', 'pg-pw', 'T0/B0/xyz']) assert.ok(!text.includes(secret), `${secret} in ${text}`);
    assert.ok(text.includes('"refresh":2000'));
  });
});
