/** Cohorts of the course, from configuration (scenarios/default/schedule.yaml). */
export interface CourseSchedule {
  cohorts: Cohort[];
  /** Seats are mentioned only when this few or fewer are left (and only if true). */
  scarcityThreshold: number;
}

export interface Cohort {
  name: string;
  /** YYYY-MM-DD, school's local date. */
  startsOn: string;
  enrolmentDeadline: string;
  seatsTotal: number;
  seatsTaken: number;
}

export interface ScheduleTexts {
  nextCohort: string; // "{name} стартует {starts_on}, запись до {deadline}."
  seatsLeft: string; // "Осталось мест: {seats}."
  noCohort: string; // "Даты следующего потока уточняются…"
}

/** The next cohort still open for enrolment on `today` (YYYY-MM-DD), soonest start first. */
export function nextOpenCohort(schedule: CourseSchedule, today: string): Cohort | undefined {
  return [...schedule.cohorts]
    .filter((c) => c.enrolmentDeadline >= today && c.seatsTaken < c.seatsTotal)
    .sort((a, b) => a.startsOn.localeCompare(b.startsOn))[0];
}

/**
 * What the bot says to "when does it start": the next open cohort with its deadline, and the
 * seats left only when they are really few. Never invents scarcity.
 */
export function describeSchedule(schedule: CourseSchedule, today: string, texts: ScheduleTexts, formatDate: (isoDate: string) => string): string {
  const cohort = nextOpenCohort(schedule, today);
  if (!cohort) return texts.noCohort;
  const fill = (template: string, values: Record<string, string>) => template.replace(/\{(\w+)\}/g, (_m, key: string) => values[key] ?? '');
  const seats = cohort.seatsTotal - cohort.seatsTaken;
  const lines = [fill(texts.nextCohort, { name: cohort.name, starts_on: formatDate(cohort.startsOn), deadline: formatDate(cohort.enrolmentDeadline) })];
  if (seats <= schedule.scarcityThreshold) lines.push(fill(texts.seatsLeft, { seats: String(seats) }));
  return lines.join(' ');
}
