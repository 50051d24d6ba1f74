import type { Knex } from 'knex';
import type { Language } from '../domain/language';
import type { Material, MaterialCategory, MaterialSegment, MaterialStatus } from '../domain/materials';

/** A row of `materials` as Postgres returns it. */
export interface MaterialRecord {
  id: number;
  key: string;
  title: string;
  summary: string;
  url: string | null;
  file_id: string | null;
  category: MaterialCategory;
  segments: MaterialSegment[];
  stages: string[];
  tags: string[];
  priority: number;
  status: MaterialStatus;
  language: Language;
  version: number;
  checksum: string;
  created_at: Date;
  updated_at: Date;
}

/** An editor asked to change a material that the catalogue does not have. */
export class MaterialNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`no material with key "${key}"`);
    this.name = 'MaterialNotFoundError';
  }
}

/** Every material a lead may be shown in this language; `selectMaterials` picks from them. */
export async function listReadyMaterials(db: Knex, language: Language): Promise<Material[]> {
  const rows = await db<MaterialRecord>('materials').where({ status: 'ready', language }).orderBy('id');
  return rows.map(toMaterial);
}

/**
 * An editor publishes, hides or archives a material. Only the status moves: the version and the
 * checksum stay, so re-importing an unchanged sheet keeps the editor's choice; the sheet wins again
 * once its row for this material changes.
 */
export async function setMaterialStatus(db: Knex, key: string, status: MaterialStatus): Promise<Material> {
  const [row] = await db('materials').where({ key }).update({ status, updated_at: db.fn.now() }).returning('*');
  if (!row) throw new MaterialNotFoundError(key);
  return toMaterial(row as MaterialRecord);
}

/** The plain shape workflows receive: camelCase, ISO dates, no nulls. */
export function toMaterial(row: MaterialRecord): Material {
  return {
    id: row.id,
    key: row.key,
    title: row.title,
    summary: row.summary,
    ...(row.url ? { url: row.url } : {}),
    ...(row.file_id ? { fileId: row.file_id } : {}),
    category: row.category,
    segments: row.segments,
    stages: row.stages,
    tags: row.tags,
    priority: row.priority,
    status: row.status,
    language: row.language,
    version: row.version,
    updatedAt: row.updated_at.toISOString(),
  };
}
