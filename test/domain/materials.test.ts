import {
  DEFAULT_MATERIALS_LIMIT,
  EDUCATION_LIST_LIMIT,
  selectMaterials,
  type Material,
  type MaterialsQuery,
} from '../../domain/materials';

let nextId = 1;
function material(overrides: Partial<Material> = {}): Material {
  const id = nextId++;
  return {
    id,
    key: `m${id}`,
    title: `Material ${id}`,
    summary: '',
    category: 'article',
    segments: [],
    stages: [],
    tags: [],
    priority: 0,
    status: 'ready',
    language: 'ru',
    version: 1,
    updatedAt: '2026-11-01T10:00:00.000Z',
    ...overrides,
  };
}

const warmAtProof: MaterialsQuery = { segment: 'warm', stage: 'proof', language: 'ru' };
const keys = (materials: Material[]) => materials.map((m) => m.key);

describe('selectMaterials', () => {
  it('offers only ready materials in the lead’s language', () => {
    const catalogue = [
      material({ key: 'ready-ru' }),
      material({ key: 'draft-ru', status: 'draft', priority: 100 }),
      material({ key: 'archived-ru', status: 'archived', priority: 100 }),
      material({ key: 'ready-en', language: 'en', priority: 100 }),
    ];

    expect(keys(selectMaterials(catalogue, warmAtProof))).toEqual(['ready-ru']);
    expect(keys(selectMaterials(catalogue, { ...warmAtProof, language: 'en' }))).toEqual(['ready-en']);
  });

  it('matches segment and stage; an empty list matches any, and fitting materials are not padded with others', () => {
    const catalogue = [
      material({ key: 'warm-proof', segments: ['warm'], stages: ['proof'] }),
      material({ key: 'any-segment-proof', stages: ['proof', 'closing'] }),
      material({ key: 'warm-any-stage', segments: ['cold', 'warm'] }),
      material({ key: 'for-everyone' }),
      material({ key: 'hot-proof', segments: ['hot'], stages: ['proof'], priority: 100 }),
      material({ key: 'warm-opening', segments: ['warm'], stages: ['opening'], priority: 100 }),
    ];

    const picked = keys(selectMaterials(catalogue, { ...warmAtProof, limit: 10 }));

    expect(picked.sort()).toEqual(['any-segment-proof', 'for-everyone', 'warm-any-stage', 'warm-proof']);
  });

  it('a segment or stage not known yet does not narrow the choice', () => {
    const catalogue = [
      material({ key: 'hot-closing', segments: ['hot'], stages: ['closing'] }),
      material({ key: 'cold-opening', segments: ['cold'], stages: ['opening'] }),
    ];

    expect(keys(selectMaterials(catalogue, { segment: null, stage: 'closing', language: 'ru' }))).toEqual(['hot-closing']);
    expect(keys(selectMaterials(catalogue, { segment: 'cold', stage: null, language: 'ru' }))).toEqual(['cold-opening']);
  });

  it('orders by priority, higher first, then by freshness, newer first', () => {
    const catalogue = [
      material({ key: 'low-new', priority: 10, updatedAt: '2026-11-20T00:00:00.000Z' }),
      material({ key: 'high-old', priority: 90, updatedAt: '2026-01-01T00:00:00.000Z' }),
      material({ key: 'mid-old', priority: 50, updatedAt: '2026-03-01T00:00:00.000Z' }),
      material({ key: 'mid-new', priority: 50, updatedAt: '2026-10-01T00:00:00.000Z' }),
    ];

    expect(keys(selectMaterials(catalogue, { ...warmAtProof, limit: 10 }))).toEqual(['high-old', 'mid-new', 'mid-old', 'low-new']);
  });

  it('gives at most 3 by default and 5 for the education list', () => {
    const catalogue = Array.from({ length: 8 }, (_, i) => material({ key: `p${i}`, priority: i }));

    expect(DEFAULT_MATERIALS_LIMIT).toBe(3);
    expect(EDUCATION_LIST_LIMIT).toBe(5);
    expect(keys(selectMaterials(catalogue, warmAtProof))).toEqual(['p7', 'p6', 'p5']);
    expect(keys(selectMaterials(catalogue, { ...warmAtProof, limit: EDUCATION_LIST_LIMIT }))).toEqual(['p7', 'p6', 'p5', 'p4', 'p3']);
  });

  it('falls back to the most recent ready materials when none fits the lead', () => {
    const catalogue = [
      material({ key: 'cold-old', segments: ['cold'], priority: 100, updatedAt: '2026-01-01T00:00:00.000Z' }),
      material({ key: 'cold-newest', segments: ['cold'], updatedAt: '2026-11-20T00:00:00.000Z' }),
      material({ key: 'opening-new', stages: ['opening'], updatedAt: '2026-11-10T00:00:00.000Z' }),
      material({ key: 'cold-mid', segments: ['cold'], updatedAt: '2026-06-01T00:00:00.000Z' }),
      material({ key: 'draft-newest', status: 'draft', updatedAt: '2026-11-30T00:00:00.000Z' }),
      material({ key: 'english-newest', language: 'en', updatedAt: '2026-11-30T00:00:00.000Z' }),
    ];

    expect(keys(selectMaterials(catalogue, warmAtProof))).toEqual(['cold-newest', 'opening-new', 'cold-mid']);
  });

  it('gives nothing when nothing is ready in the language, and is the same list for the same input', () => {
    const catalogue = [material({ status: 'draft' }), material({ language: 'en' })];
    expect(selectMaterials(catalogue, warmAtProof)).toEqual([]);

    const tied = [material({ key: 'b' }), material({ key: 'a' })];
    expect(keys(selectMaterials(tied, warmAtProof))).toEqual(keys(selectMaterials([...tied].reverse(), warmAtProof)));
  });
});
