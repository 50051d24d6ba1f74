import type { Knex } from 'knex';
import { BONUS_FILE_KEY, CONTENT_KEYS, withContentOverrides, type ContentKey } from '../domain/content';
import type { Scenario } from '../domain/scenario';
import { defaultScenarioPath, loadScenarioFile } from '../scenarios/loader';

/** What a conversation learns when it looks for a newer scenario: the file's, or why it cannot be used. */
export type ScenarioCandidate = { ok: true; scenario: Scenario } | { ok: false; problem: string };

/**
 * Loads the scenario a conversation pins, with the texts editors published from the /admin panel
 * (welcome text, bonus caption, bonus file) in place of the file's. Files are checked at start-up, so a failure
 * here means the file changed on disk since; the retry picks up the fixed file.
 */
export function createScenarioActivities(options: { scenarioPath?: (language: 'ru' | 'en') => string; db?: Knex } = {}) {
  const pathFor = options.scenarioPath ?? defaultScenarioPath;

  async function loadScenario(language: 'ru' | 'en'): Promise<Scenario> {
    return withPublishedTexts(loadScenarioFile(pathFor(language)), language);
  }

  async function withPublishedTexts(scenario: Scenario, language: 'ru' | 'en'): Promise<Scenario> {
    if (!options.db) return scenario;
    const rows: { key: ContentKey; text: string }[] = await options.db('message_templates')
      .where({ language })
      .whereIn('key', [...CONTENT_KEYS, BONUS_FILE_KEY])
      .select('key', 'text');
    return withContentOverrides(scenario, Object.fromEntries(rows.map((r) => [r.key, r.text])));
  }

  return {
    loadScenario,

    /**
     * The scenario file as it is now, for a conversation that already has one pinned: a file that does
     * not load (a bad edit) is an answer, not a failure, so the conversation keeps its version instead
     * of retrying at continue-as-new until someone fixes the file. Postgres trouble is still retried.
     */
    async loadScenarioCandidate(language: 'ru' | 'en'): Promise<ScenarioCandidate> {
      let scenario: Scenario;
      try {
        scenario = loadScenarioFile(pathFor(language));
      } catch (error) {
        return { ok: false, problem: error instanceof Error ? error.message : String(error) };
      }
      return { ok: true, scenario: await withPublishedTexts(scenario, language) };
    },
  };
}

export type ScenarioActivities = ReturnType<typeof createScenarioActivities>;
