import type { Language } from './language';

/**
 * The materials catalogue and the rule that picks what a lead is shown (docs/materials-and-content.md).
 * Pure: workflow code imports it, so no I/O, no clock and no Node built-ins here.
 */

export const MATERIAL_CATEGORIES = ['article', 'case', 'review', 'faq', 'bonus', 'other'] as const;
export type MaterialCategory = (typeof MATERIAL_CATEGORIES)[number];

export const MATERIAL_SEGMENTS = ['cold', 'warm', 'hot'] as const;
export type MaterialSegment = (typeof MATERIAL_SEGMENTS)[number];

/** `draft` is being written, `ready` may be shown to leads, `archived` is kept for history only. */
export const MATERIAL_STATUSES = ['draft', 'ready', 'archived'] as const;
export type MaterialStatus = (typeof MATERIAL_STATUSES)[number];

/** How many materials a step offers a lead, and how many the education list shows. */
export const DEFAULT_MATERIALS_LIMIT = 3;
export const EDUCATION_LIST_LIMIT = 5;

export interface Material {
  id: number;
  /** Stable identity from the source sheet; an import matches rows to materials by it. */
  key: string;
  title: string;
  summary: string;
  url?: string;
  /** A Telegram file id, set by editors (e.g. the bonus file), never by an import. */
  fileId?: string;
  category: MaterialCategory;
  /** Lead segments the material is for; empty means any segment. */
  segments: MaterialSegment[];
  /** Funnel stages the material is for; empty means any stage. */
  stages: string[];
  tags: string[];
  /** Higher is shown first. */
  priority: number;
  status: MaterialStatus;
  language: Language;
  version: number;
  /** ISO timestamp of the last change; newer is "fresher". */
  updatedAt: string;
}

/** Who the materials are for. A `null` segment or stage (not known yet) does not narrow the choice. */
export interface MaterialsQuery {
  segment: MaterialSegment | null;
  stage: string | null;
  language: Language;
  /** At most this many; `DEFAULT_MATERIALS_LIMIT` unless given. */
  limit?: number;
}

/**
 * Picks what to show a lead: ready materials in the lead's language that fit their segment and
 * stage, by priority (higher first) then freshness (newer first). When nothing fits, the most
 * recent ready materials, so a lead never gets an empty list while the catalogue has something
 * in their language. Materials that fit are not padded with ones that do not: a short relevant
 * list beats a full one with a closing offer shown at the opening.
 */
export function selectMaterials(materials: readonly Material[], query: MaterialsQuery): Material[] {
  const limit = Math.max(0, Math.floor(query.limit ?? DEFAULT_MATERIALS_LIMIT));
  const ready = materials.filter((m) => m.status === 'ready' && m.language === query.language);
  const fitting = ready.filter((m) => fits(m, query));
  if (fitting.length > 0) return [...fitting].sort(byPriorityThenFreshness).slice(0, limit);
  return [...ready].sort(byFreshnessThenPriority).slice(0, limit);
}

function fits(material: Material, query: MaterialsQuery): boolean {
  const segmentFits =
    query.segment === null || material.segments.length === 0 || material.segments.includes(query.segment);
  const stageFits = query.stage === null || material.stages.length === 0 || material.stages.includes(query.stage);
  return segmentFits && stageFits;
}

// Ties end on the id, so the same catalogue always gives the same list (workflow replays rely on it).
function byPriorityThenFreshness(a: Material, b: Material): number {
  return b.priority - a.priority || freshness(b) - freshness(a) || a.id - b.id;
}

function byFreshnessThenPriority(a: Material, b: Material): number {
  return freshness(b) - freshness(a) || b.priority - a.priority || a.id - b.id;
}

/** Milliseconds of `updatedAt`; an unparseable date counts as the oldest. */
function freshness(material: Material): number {
  const time = Date.parse(material.updatedAt);
  return Number.isNaN(time) ? Number.NEGATIVE_INFINITY : time;
}
