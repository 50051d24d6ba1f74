import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { CALLBACK_DATA_LIMIT, callbackDataBytes, encodeButton } from '../domain/callback-data';
import { FOLLOW_UP_SCOPE, SURVEY_SCOPE } from '../domain/conversation';
import type { Scenario } from '../domain/scenario';
import { TELEGRAM_TEXT_LIMIT } from '../domain/split-text';
import { scenarioFileSchema } from './schema';
import { readCheckedYaml, type Finding } from './yaml-file';

export const SCENARIOS_DIR = resolve(__dirname);
const CAPTION_LIMIT = 1024;

export { ScenarioError, type ScenarioProblem } from './yaml-file';

/** The default scenario's file for a language. */
export function defaultScenarioPath(language: 'ru' | 'en'): string {
  return join(SCENARIOS_DIR, 'default', `scenario.${language}.yaml`);
}

/** Where a document named in a scenario snapshot lives on this machine. */
export function scenarioFilePath(document: string): string {
  return resolve(SCENARIOS_DIR, document);
}

/**
 * Reads, validates and checks a scenario file. Document paths are written relative to the file
 * and kept relative to the scenarios folder, so a snapshot means the same on every worker.
 */
export function loadScenarioFile(path: string): Scenario {
  // Every new conversation loads its scenario: parsing the YAML each time cost more CPU than the rest
  // of its first reply. The text is still read and compared, and the checks (files it names) rerun.
  const text = readFileSync(path, 'utf8');
  const known = parsedScenarios.get(path);
  if (known?.text === text && checkScenario(known.scenario).length === 0) return structuredClone(known.scenario);
  const scenario = readCheckedYaml(path, scenarioFileSchema, (parsed) => {
    const resolved = resolveDocuments(parsed, dirname(path));
    return { value: resolved, findings: checkScenario(resolved) };
  });
  parsedScenarios.set(path, { text, scenario: structuredClone(scenario) });
  return scenario;
}

/** The last good parse of each scenario file, with the text it came from. */
const parsedScenarios = new Map<string, { text: string; scenario: Scenario }>();

/** Rules a valid shape can still break: dangling targets, dead ends, Telegram's limits, missing files. */
export function checkScenario(scenario: Scenario): Finding[] {
  const findings: Finding[] = [];
  const known = (stepId: string) => stepId in scenario.steps;
  const target = (path: (string | number)[], stepId: string) => {
    if (!known(stepId)) findings.push({ path, message: `unknown step "${stepId}"` });
  };
  target(['start'], scenario.start);
  target(['fallback'], scenario.fallback);
  for (const [command, stepId] of Object.entries(scenario.commands)) target(['commands', command], stepId);
  for (const [event, stepId] of Object.entries(scenario.events)) target(['events', event], stepId);
  // The menu offers only what the lead can type: /start, /reset and the scenario's commands.
  for (const command of Object.keys(scenario.commandMenu ?? {})) {
    if (command !== 'start' && command !== 'reset' && !(command in scenario.commands)) findings.push({ path: ['command_menu', command], message: `"${command}" is not a command of this scenario` });
  }
  target(['escalation_step'], scenario.escalationStep);
  scenario.followUps?.sequence.forEach((step, s) =>
    (step.buttons ?? []).forEach((row, r) =>
      row.forEach((button, b) => {
        const at = ['follow_ups', 'sequence', s, 'buttons', r, b];
        if ('goto' in button) target([...at, 'goto'], button.goto);
        const bytes = callbackDataBytes(encodeButton(FOLLOW_UP_SCOPE, `${step.id}.${button.id}`));
        if (bytes > CALLBACK_DATA_LIMIT) findings.push({ path: [...at, 'id'], message: `callback data is ${bytes} bytes; Telegram allows ${CALLBACK_DATA_LIMIT}` });
      }),
    ),
  );
  checkPostSale(scenario, findings);
  if (scenario.offersStep in scenario.steps && !scenario.steps[scenario.offersStep].keepsPlace) {
    findings.push({ path: ['offers_step'], message: `step "${scenario.offersStep}" must keep the lead's place (keeps_place: true): its buttons go under any reply` });
  }
  scenario.intents.forEach((intent, i) => target(['intents', i, 'goto'], intent.goto));
  if (scenario.survey) target(['survey', 'then'], scenario.survey.then);
  checkSurvey(scenario, findings);
  checkIntents(scenario, findings);

  for (const [stepId, step] of Object.entries(scenario.steps)) {
    if (step.then) target(['steps', stepId, 'then', 'goto'], step.then.goto);
    step.route?.forEach((entry, r) => target(['steps', stepId, 'route', r, 'goto'], entry.goto));
    if (step.route && step.route.at(-1)?.when) {
      findings.push({ path: ['steps', stepId, 'route'], message: 'the last route must have no `when`, so every lead goes somewhere' });
    }
    const buttonIds = new Set<string>();
    step.messages.forEach((message, m) => {
      const at = ['steps', stepId, 'messages', m];
      if ('text' in message && message.text.length > TELEGRAM_TEXT_LIMIT) {
        findings.push({ path: [...at, 'text'], message: `text is ${message.text.length} characters; Telegram allows ${TELEGRAM_TEXT_LIMIT}` });
      }
      if ('document' in message) {
        if (message.caption && message.caption.length > CAPTION_LIMIT) {
          findings.push({ path: [...at, 'caption'], message: `caption is ${message.caption.length} characters; Telegram allows ${CAPTION_LIMIT}` });
        }
        if (!isUrl(message.document) && !existsSync(scenarioFilePath(message.document))) findings.push({ path: [...at, 'document'], message: `file not found: ${message.document}` });
      }
      (message.buttons ?? []).forEach((row, r) =>
        row.forEach((button, b) => {
          const buttonPath = [...at, 'buttons', r, b];
          if ('goto' in button) target([...buttonPath, 'goto'], button.goto);
          if (buttonIds.has(button.id)) findings.push({ path: [...buttonPath, 'id'], message: `duplicate button "${button.id}" in step "${stepId}"` });
          buttonIds.add(button.id);
          const bytes = callbackDataBytes(encodeButton(stepId, button.id));
          if (bytes > CALLBACK_DATA_LIMIT) {
            findings.push({ path: [...buttonPath, 'id'], message: `callback data is ${bytes} bytes; Telegram allows ${CALLBACK_DATA_LIMIT}` });
          }
        }),
      );
    });
    if (step.actions?.some((a) => a.kind === 'contactForm') && !scenario.contactForm) {
      findings.push({ path: ['steps', stepId, 'actions'], message: 'the contact_form action needs a `contact_form:` block with the form texts' });
    }
    if (step.actions?.some((a) => a.kind === 'book') && !scenario.booking) {
      findings.push({ path: ['steps', stepId, 'actions'], message: 'the book action needs a `booking:` block with the dialog texts' });
    }
    if (!hasWayOut(step)) {
      findings.push({ path: ['steps', stepId], message: `step "${stepId}" has no way out: add buttons, then, route, start_survey, or mark it final: true` });
    }
  }
  for (const stepId of unreachableSteps(scenario)) {
    findings.push({ path: ['steps', stepId], message: `step "${stepId}" is unreachable: nothing leads to it` });
  }
  return findings;
}

function hasWayOut(step: Scenario['steps'][string]): boolean {
  const hasGotoButton = step.messages.some((m) => (m.buttons ?? []).flat().some((b) => 'goto' in b));
  const startsSurvey = step.actions?.some((a) => a.kind === 'startSurvey' || a.kind === 'book' || a.kind === 'contactForm') ?? false;
  return hasGotoButton || !!step.then || !!step.route || startsSurvey || !!step.final || !!step.keepsPlace;
}

/** Steps no start, command, intent, button, route, timer or survey leads to. */
function unreachableSteps(scenario: Scenario): string[] {
  const roots = [
    scenario.start,
    scenario.fallback,
    ...Object.values(scenario.commands),
    ...Object.values(scenario.events),
    scenario.escalationStep,
    scenario.offersStep,
    ...(scenario.followUps?.sequence ?? []).flatMap((s) => (s.buttons ?? []).flat().flatMap((b) => ('goto' in b ? [b.goto] : []))),
    ...scenario.intents.map((i) => i.goto),
  ];
  const seen = new Set<string>();
  const queue = roots.filter((id) => id in scenario.steps);
  while (queue.length > 0) {
    const stepId = queue.shift() as string;
    if (seen.has(stepId)) continue;
    seen.add(stepId);
    const step = scenario.steps[stepId];
    const next = [
      ...step.messages.flatMap((m) => (m.buttons ?? []).flat().flatMap((b) => ('goto' in b ? [b.goto] : []))),
      ...(step.then ? [step.then.goto] : []),
      ...(step.route ?? []).map((r) => r.goto),
      ...(step.actions?.some((a) => a.kind === 'startSurvey') && scenario.survey ? [scenario.survey.then] : []),
    ];
    queue.push(...next.filter((id) => id in scenario.steps && !seen.has(id)));
  }
  return Object.keys(scenario.steps).filter((id) => !seen.has(id));
}

/** Post-sale messages: unique ids (each is sent once), in the order they go out, within Telegram's limit. */
function checkPostSale(scenario: Scenario, findings: Finding[]): void {
  const ids = new Set<string>();
  scenario.postSale?.sequence.forEach((step, s, all) => {
    const at = ['post_sale', 'sequence', s];
    if (ids.has(step.id)) findings.push({ path: [...at, 'id'], message: `duplicate post-sale message "${step.id}"` });
    ids.add(step.id);
    if (s > 0 && step.afterHours <= all[s - 1].afterHours) {
      findings.push({ path: [...at, 'after_hours'], message: `after_hours must grow along the sequence (${step.afterHours} after ${all[s - 1].afterHours})` });
    }
    if (step.text.length > TELEGRAM_TEXT_LIMIT) findings.push({ path: [...at, 'text'], message: `text is ${step.text.length} characters; Telegram allows ${TELEGRAM_TEXT_LIMIT}` });
  });
}

function checkSurvey(scenario: Scenario, findings: Finding[]): void {
  const survey = scenario.survey;
  if (!survey) return;
  const questionIds = new Set<string>();
  survey.questions.forEach((question, q) => {
    if (questionIds.has(question.id)) findings.push({ path: ['survey', 'questions', q, 'id'], message: `duplicate question "${question.id}"` });
    questionIds.add(question.id);
    const codes = new Set<string>();
    question.options.forEach((option, o) => {
      const at = ['survey', 'questions', q, 'options', o, 'code'];
      if (codes.has(option.code)) findings.push({ path: at, message: `duplicate option "${option.code}" in ${question.id}` });
      codes.add(option.code);
      const bytes = callbackDataBytes(encodeButton(SURVEY_SCOPE, `${question.id}.${option.code}`));
      if (bytes > CALLBACK_DATA_LIMIT) findings.push({ path: at, message: `callback data is ${bytes} bytes; Telegram allows ${CALLBACK_DATA_LIMIT}` });
    });
  });
  for (const key of ['budgetQuestion', 'urgencyQuestion'] as const) {
    const id = survey[key];
    if (id && !questionIds.has(id)) findings.push({ path: ['survey', key === 'budgetQuestion' ? 'budget_question' : 'urgency_question'], message: `unknown question "${id}"` });
  }
  if (survey.segments.coldMax >= survey.segments.warmMax) {
    findings.push({ path: ['survey', 'segments'], message: 'cold_max must be below warm_max' });
  }
}

/** A stem in two intents makes the first one win silently: call it a duplicate trigger. */
function checkIntents(scenario: Scenario, findings: Finding[]): void {
  const owners = new Map<string, string>();
  const names = new Set<string>();
  scenario.intents.forEach((intent, i) => {
    if (names.has(intent.intent)) findings.push({ path: ['intents', i, 'intent'], message: `duplicate intent "${intent.intent}"` });
    names.add(intent.intent);
    intent.stems.forEach((stem, s) => {
      const key = stem.toLowerCase().replace(/ё/g, 'е');
      const owner = owners.get(key);
      if (owner && owner !== intent.intent) findings.push({ path: ['intents', i, 'stems', s], message: `stem "${stem}" is also in intent "${owner}"` });
      owners.set(key, intent.intent);
    });
  });
}

function isUrl(document: string): boolean {
  return /^https?:\/\//.test(document);
}

function resolveDocuments(scenario: Scenario, baseDir: string): Scenario {
  const steps = Object.fromEntries(
    Object.entries(scenario.steps).map(([stepId, step]) => [
      stepId,
      {
        ...step,
        messages: step.messages.map((message) =>
          'document' in message && !isUrl(message.document)
            ? { ...message, document: relative(SCENARIOS_DIR, resolve(baseDir, message.document)) }
            : message,
        ),
      },
    ]),
  );
  return { ...scenario, steps };
}
