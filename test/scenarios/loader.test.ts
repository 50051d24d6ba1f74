import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkScenario, defaultScenarioPath, loadScenarioFile, ScenarioError } from '../../scenarios/loader';

const original = readFileSync(defaultScenarioPath('ru'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'scenario-'));
cpSync(join(defaultScenarioPath('ru'), '..', 'media'), join(dir, 'media'), { recursive: true });

/** Writes a variant of the default scenario and returns the problems loading it reports. */
function problemsOf(source: string): ScenarioError['problems'] {
  const path = join(dir, `variant-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, source);
  try {
    loadScenarioFile(path);
  } catch (error) {
    if (error instanceof ScenarioError) return error.problems;
    throw error;
  }
  return [];
}

const lineOf = (source: string, needle: string) => source.slice(0, source.indexOf(needle)).split('\n').length;

describe('scenario files', () => {
  it('the shipped scenarios load in both languages', () => {
    expect(loadScenarioFile(defaultScenarioPath('ru')).language).toBe('ru');
    expect(Object.keys(loadScenarioFile(defaultScenarioPath('en')).steps)).toEqual(Object.keys(loadScenarioFile(defaultScenarioPath('ru')).steps));
  });

  it('the post-sale sequence loads (day 1, 3, 7); a repeated id or a step out of order is reported', () => {
    expect(loadScenarioFile(defaultScenarioPath('ru')).postSale?.sequence.map((s) => [s.id, s.afterHours])).toEqual([
      ['day1', 24],
      ['day3', 72],
      ['day7', 168],
    ]);
    expect(loadScenarioFile(defaultScenarioPath('en')).postSale?.sequence.map((s) => s.id)).toEqual(['day1', 'day3', 'day7']);
    const broken = original.replace('- id: day3', '- id: day1').replace('after_hours: 168', 'after_hours: 48');
    expect(problemsOf(broken).map((p) => p.message)).toEqual([
      'post_sale.sequence.1.id: duplicate post-sale message "day1"',
      'post_sale.sequence.2.after_hours: after_hours must grow along the sequence (48 after 72)',
    ]);
  });

  it('an unknown target step is reported at its file line', () => {
    const broken = original.replace('goto: readiness }', 'goto: nowhere }');
    const [problem] = problemsOf(broken);
    expect(problem.message).toContain('unknown step "nowhere"');
    expect(problem.line).toBe(lineOf(broken, 'goto: nowhere'));
  });

  it('a missing required text names the key', () => {
    const broken = original.replace(/^ {2}reset_done: .*\n/m, '');
    const [problem] = problemsOf(broken);
    expect(problem.message).toMatch(/texts\.reset_done/);
    expect(problem.line).toBe(lineOf(broken, 'texts:') + 1); // the texts block itself
  });

  it('Telegram limits are checked: callback data over 64 bytes, texts over 4096 characters', () => {
    // step (32) + ':' + button (32) = 65 bytes: one over Telegram's limit.
    const longStep = `r${'x'.repeat(31)}`;
    const longButton = `s${'y'.repeat(31)}`;
    const withLongButton = original.replaceAll('readiness', longStep).replace('id: strategies', `id: ${longButton}`);
    const [problem] = problemsOf(withLongButton);
    expect(problem.message).toBe(`steps.${longStep}.messages.0.buttons.1.0.id: callback data is 65 bytes; Telegram allows 64`);
    expect(problem.line).toBe(lineOf(withLongButton, `id: ${longButton}`));
    const tooLong = original.replace('Отлично! Предлагаю', `${'д'.repeat(4100)} Предлагаю`);
    expect(problemsOf(tooLong)[0].message).toMatch(/4\d{3} characters; Telegram allows 4096/);
  });

  it('a YAML syntax error and a duplicate key are reported with their lines', () => {
    const syntax = original.replace('  opening:\n', '  opening:\n    messages: [\n');
    expect(problemsOf(syntax).length).toBeGreaterThan(0);
    const duplicate = original.replace('  opening:\n', '  bonus:\n    messages: [{ text: hi }]\n  opening:\n');
    const [problem] = problemsOf(duplicate);
    expect(problem.message).toMatch(/unique/i);
    expect(problem.line).toBe(lineOf(duplicate, '  bonus:\n    messages: [{ text: hi }]'));
  });

  it('a missing bonus file is caught before any lead asks for it', () => {
    const [problem] = problemsOf(original.replace('media/bonus.pdf', 'media/missing.pdf'));
    expect(problem.message).toContain('file not found');
  });

  it('the error message lists every problem as file:line:column', () => {
    const path = join(dir, 'two-problems.yaml');
    writeFileSync(path, original.replace('goto: readiness }', 'goto: nowhere }').replace('goto: strategies }', 'goto: elsewhere }'));
    expect(() => loadScenarioFile(path)).toThrow(/two-problems\.yaml:\d+:\d+: .*nowhere.*\n.*two-problems\.yaml:\d+:\d+: .*elsewhere/);
  });
});

describe('the checker', () => {
  const messageOf = (source: string) => problemsOf(source).map((p) => `${p.line}: ${p.message}`);

  it('an unknown action is named, at its line', () => {
    const broken = original.replace('actions: [start_survey]', 'actions: [launch_rockets]');
    const [problem] = problemsOf(broken);
    expect(problem.message).toMatch(/unknown action; expected start_survey/);
    expect(problem.line).toBe(lineOf(broken, 'actions: [launch_rockets]'));
  });

  it('an unreachable step is reported', () => {
    const broken = original.replace('  schedule:\n    keeps_place: true', '  orphan:\n    final: true\n    messages: [{ text: "никто сюда не попадёт" }]\n  schedule:\n    keeps_place: true');
    expect(messageOf(broken)).toEqual([`${lineOf(broken, '  orphan:') + 1}: steps.orphan: step "orphan" is unreachable: nothing leads to it`]);
  });

  it('a step with no way out is reported', () => {
    const broken = original.replace(/( {2}want_programme:[\s\S]*?)\n {4}final: true/, '$1');
    expect(messageOf(broken)).toEqual([expect.stringMatching(/steps\.want_programme: step "want_programme" has no way out/)]);
  });

  it('duplicate triggers are reported: a button id twice in a step, a stem in two intents', () => {
    const twice = original.replace('[{ id: strategies, text: "📊 Стратегии: надёжность или рост", goto: strategies }]', '[{ id: survey, text: "📊 Стратегии", goto: strategies }]');
    expect(messageOf(twice)).toEqual([expect.stringMatching(/duplicate button "survey" in step "readiness"/)]);
    const stem = original.replace('stems: [развод,', 'stems: [менеджер, развод,');
    expect(messageOf(stem)).toEqual([expect.stringMatching(/stem "менеджер" is also in intent "manager"/)]);
  });

  it('routes must end with a catch-all, and survey options must fit in callback data', () => {
    const noCatchAll = original.replace('      - { goto: path_cold }', '      - { when: { segment: [cold] }, goto: path_cold }');
    expect(messageOf(noCatchAll)).toEqual([expect.stringMatching(/the last route must have no `when`/)]);
    const longCode = `c${'o'.repeat(31)}`;
    const tooLong = original.replace('code: trading,', `code: ${longCode},`).replace('- id: q1', `- id: q${'1'.repeat(31)}`);
    expect(messageOf(tooLong).some((m) => /callback data is \d+ bytes/.test(m))).toBe(true);
  });

  it('`scenarios check` prints each error with its line and exits non-zero', () => {
    const path = join(dir, 'cli-broken.yaml');
    writeFileSync(path, original.replace('goto: readiness }', 'goto: nowhere }'));
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'main.ts', 'scenarios', 'check', path], { cwd: join(__dirname, '..', '..'), encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`cli-broken\\.yaml:${lineOf(original, 'goto: readiness }')}:\\d+: .*unknown step "nowhere"`));
  });

  it('a file loaded again is the same scenario; an edit on disk shows at the next load, and a broken edit is still refused', () => {
    const path = join(dir, 'reloaded.yaml');
    writeFileSync(path, original);
    const first = loadScenarioFile(path);
    first.steps[first.start].messages.length = 0; // what one caller does to its copy stays in it
    expect(loadScenarioFile(path).steps[first.start].messages.length).toBeGreaterThan(0);
    const welcome = loadScenarioFile(path).steps[first.start].messages[0];
    const edited = 'text' in welcome && welcome.text ? original.replace(welcome.text.split('\n')[0], 'Новое приветствие') : original;
    expect(edited).not.toBe(original);
    writeFileSync(path, edited);
    expect(JSON.stringify(loadScenarioFile(path).steps[first.start].messages[0])).toContain('Новое приветствие');
    writeFileSync(path, edited.replace(/^start: .*$/m, 'start: nowhere'));
    expect(() => loadScenarioFile(path)).toThrow(ScenarioError);
  });
});

describe('command_menu', () => {
  it('offers only what a lead can type: /start, /reset and the scenario commands', () => {
    const scenario = loadScenarioFile(defaultScenarioPath('ru'));
    expect(Object.keys(scenario.commandMenu ?? {})).toEqual(['start', 'menu', 'consult', 'contact', 'survey', 'help', 'stop', 'resume', 'reset']);
    expect(checkScenario({ ...scenario, commandMenu: { ...scenario.commandMenu, nowhere: 'Куда-то' } })).toContainEqual({ path: ['command_menu', 'nowhere'], message: '"nowhere" is not a command of this scenario' });
  });
});
