import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import type { CourseSchedule } from '../domain/course-schedule';
import { SCENARIOS_DIR } from './loader';

const isoDate = z.union([z.string(), z.date()]).transform((value, ctx) => {
  const text = value instanceof Date ? value.toISOString().slice(0, 10) : value;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    ctx.addIssue({ code: 'custom', message: 'expected a date YYYY-MM-DD' });
    return z.NEVER;
  }
  return text;
});

const scheduleFileSchema = z.strictObject({
  scarcity_threshold: z.number().int().min(0),
  cohorts: z.array(
    z.strictObject({
      name: z.string().min(1),
      name_en: z.string().min(1).optional(),
      starts_on: isoDate,
      enrolment_deadline: isoDate,
      seats_total: z.number().int().positive(),
      seats_taken: z.number().int().min(0),
    }),
  ),
});

export function defaultSchedulePath(): string {
  return join(SCENARIOS_DIR, 'default', 'schedule.yaml');
}

/** Reads the course schedule in the lead's language (English names fall back to Russian ones). */
export function loadSchedule(path: string, language: 'ru' | 'en'): CourseSchedule {
  const parsed = scheduleFileSchema.safeParse(parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${path}: ${issue.path.join('.')}: ${issue.message}`);
  }
  return {
    scarcityThreshold: parsed.data.scarcity_threshold,
    cohorts: parsed.data.cohorts.map((c) => ({
      name: language === 'en' ? (c.name_en ?? c.name) : c.name,
      startsOn: c.starts_on,
      enrolmentDeadline: c.enrolment_deadline,
      seatsTotal: c.seats_total,
      seatsTaken: c.seats_taken,
    })),
  };
}
