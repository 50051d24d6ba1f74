import type { Knex } from 'knex';
import { BONUS_FILE_KEY, CONTENT_KEYS, withContentOverrides, type ContentKey } from '../domain/content';
import type { Scenario } from '../domain/scenario';
import { defaultScenarioPath, loadScenarioFile } from '../scenarios/loader';

/**
 * Loads the scenario a conversation pins, with the texts editors published from the /admin panel
 * (welcome text, bonus caption, bonus file) in place of the file's. Files are checked at start-up, so a failure
 * here means the file changed on disk since; the retry picks up the fixed file.
 */
export function createScenarioActivities(options: { scenarioPath?: (language: 'ru' | 'en') => string; db?: Knex } = {}) {
  const pathFor = options.scenarioPath ?? defaultScenarioPath;
  return {
    async loadScenario(language: 'ru' | 'en'): Promise<Scenario> {
      const scenario = loadScenarioFile(pathFor(language));
      if (!options.db) return scenario;
      const rows: { key: ContentKey; text: string }[] = await options.db('message_templates')
        .where({ language })
        .whereIn('key', [...CONTENT_KEYS, BONUS_FILE_KEY])
        .select('key', 'text');
      return withContentOverrides(scenario, Object.fromEntries(rows.map((r) => [r.key, r.text])));
    },
  };
}

export type ScenarioActivities = ReturnType<typeof createScenarioActivities>;
