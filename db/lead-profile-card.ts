import type { Knex } from 'knex';
import { profileLines } from '../domain/lead-profile';
import type { LeadCardSection } from '../domain/lead-card';
import { loadLearnedProfile } from './lead-profile';
import type { FoundLead } from './lead-search';

/**
 * The lead card's "what the bot learned" section (`/lead`): readiness, an inferred segment, and the
 * facts the model learned, each with when. Null (no section) until the model learned something.
 */
export async function learnedProfileSection(db: Knex, lead: FoundLead, format: (iso: string) => string): Promise<LeadCardSection | null> {
  const profile = await loadLearnedProfile(db, Number(lead.id));
  const lines = profileLines(profile, format);
  return lines.length ? { title: '🧠 Что бот узнал', lines } : null;
}
