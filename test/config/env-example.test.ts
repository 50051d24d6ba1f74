import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { configSchema, loadConfig } from '../../config';

const ROOT = join(__dirname, '..', '..');
const example = readFileSync(join(ROOT, '.env.example'), 'utf8').split('\n');

describe('.env.example', () => {
  const assigned = example.map((line, index) => ({ name: /^([A-Z0-9_]+)=/.exec(line)?.[1], index })).filter((v) => v.name);

  it('lists every variable the configuration reads, once, and nothing else', () => {
    const names = assigned.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(Object.keys(configSchema.shape).sort());
  });

  it('says for each one what it does and its default, on the comment line above it', () => {
    for (const { name, index } of assigned) {
      const comment = example[index - 1];
      expect({ name, comment }).toEqual({ name, comment: expect.stringMatching(/^# .{10,}/) });
    }
    const withDefault = assigned.filter(({ index }) => /Default: |required with/.test(example[index - 1])).map((v) => v.name);
    expect(assigned.map((v) => v.name).filter((n) => !withDefault.includes(n))).toEqual([]);
  });

  it('leaves every value empty, so copying it changes nothing until someone fills a line in', () => {
    expect(example.filter((line) => /^[A-Z0-9_]+=./.test(line))).toEqual([]);
  });

  it('copied unchanged to .env, gives the defaults', () => {
    const fromFile = parseEnv(example.join('\n'));
    expect(Object.keys(fromFile)).toContain('API_PORT');
    expect(loadConfig(fromFile)).toEqual(loadConfig({}));
  });

  it('is read by the npm scripts that run the system (a shell variable still wins)', () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const running = Object.entries(scripts).filter(([, command]) => command.includes('main.ts'));
    expect(running.map(([name]) => name)).toEqual(expect.arrayContaining(['start', 'migrate', 'worker', 'bot', 'api']));
    for (const [name, command] of running) expect({ name, command }).toEqual({ name, command: expect.stringContaining('node --env-file-if-exists=.env ') });
  });
});
