import { z } from 'zod';
import { KNOWLEDGE_LIMITS } from '../domain/knowledge';

/**
 * One knowledge entry as the seed files (scenarios/default/knowledge.<lang>.yaml) and CSV imports
 * write it (docs/knowledge-base.md). Lists may be YAML lists or, as a spreadsheet cell holds them,
 * text split by `;` (or by new lines); blank cells mean "none".
 */
const KEY = /^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/;

/** Trimmed text with Windows line ends made Unix; blank means absent. */
function clean(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.replace(/\r\n?/g, '\n').trim();
  return text === '' ? undefined : text;
}

/** "a; b" or a list; blank means empty; repeats dropped. */
function list(value: unknown): unknown {
  if (value === undefined || value === null) return [];
  const items = typeof value === 'string' ? value.split(/[;\n]/) : value;
  if (!Array.isArray(items)) return value;
  return [...new Set(items.map(clean).filter((item) => item !== undefined))];
}

function yesNo(value: unknown): unknown {
  const text = clean(value);
  if (typeof text !== 'string') return text;
  const lower = text.toLowerCase();
  if (['yes', 'true', '1', 'да'].includes(lower)) return true;
  if (['no', 'false', '0', 'нет'].includes(lower)) return false;
  return text;
}

const required = (field: string, max: number) =>
  z.preprocess(
    clean,
    z
      .string({ error: (issue) => (issue.input === undefined ? `${field} is required` : `${field} must be text`) })
      .max(max, `${field} is longer than ${max} characters`),
  );

export const knowledgeRowSchema = z.object({
  key: z.preprocess(
    clean,
    z
      .string({ error: (issue) => (issue.input === undefined ? 'key is required' : 'key must be text') })
      .max(200, 'key is longer than 200 characters')
      .regex(KEY, 'key may hold only letters, digits and _ . : / -'),
  ),
  question: required('question', KNOWLEDGE_LIMITS.question),
  variants: z.preprocess(
    list,
    z
      .array(z.string().max(KNOWLEDGE_LIMITS.variant, `a variant is longer than ${KNOWLEDGE_LIMITS.variant} characters`), { error: 'variants must be a list' })
      .max(KNOWLEDGE_LIMITS.variants, `more than ${KNOWLEDGE_LIMITS.variants} variants`),
  ),
  answer: required('answer', KNOWLEDGE_LIMITS.answer),
  tags: z.preprocess(
    list,
    z
      .array(z.string().max(KNOWLEDGE_LIMITS.tag, `a tag is longer than ${KNOWLEDGE_LIMITS.tag} characters`).transform((tag) => tag.toLowerCase()), { error: 'tags must be a list' })
      .max(KNOWLEDGE_LIMITS.tags, `more than ${KNOWLEDGE_LIMITS.tags} tags`),
  ),
  links: z.preprocess(
    list,
    z
      .array(z.url({ protocol: /^https?$/, error: (issue) => `bad link "${String(issue.input)}": expected an http(s) link` }), { error: 'links must be a list' })
      .max(KNOWLEDGE_LIMITS.links, `more than ${KNOWLEDGE_LIMITS.links} links`),
  ),
  active: z.preprocess(yesNo, z.boolean({ error: 'active must be yes or no' }).default(true)),
});

export type KnowledgeRow = z.infer<typeof knowledgeRowSchema>;

/** A seed file: the entries of one language (the language is in the file's name). */
export const knowledgeFileSchema = z.strictObject({ entries: z.array(knowledgeRowSchema).min(1, 'a knowledge file needs at least one entry') });
