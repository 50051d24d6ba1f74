import type { Segment } from './product-matching';

/** The readiness survey as data: questions with scored options, and where the segments begin. */
export interface Survey {
  /** "Вопрос {number}/{total}" — shown above each question. */
  questionHeader: string;
  questions: SurveyQuestion[];
  /** Score ≤ coldMax is cold, ≤ warmMax warm, above that hot. */
  segments: { coldMax: number; warmMax: number };
  /** Questions whose answer points double as the lead's budget and urgency levels (product tie-breaks). */
  budgetQuestion?: string;
  urgencyQuestion?: string;
  /** The step entered when the last question is answered. */
  then: string;
}

export interface SurveyQuestion {
  id: string;
  text: string;
  options: SurveyOption[];
}

export interface SurveyOption {
  code: string;
  text: string;
  points: number;
  /** A short tailored confirmation sent after the answer. */
  reply?: string;
}

export interface SurveyOutcome {
  score: number;
  maxScore: number;
  segment: Segment;
  budgetLevel: number | null;
  urgencyLevel: number | null;
}

/** The highest score the survey allows (13 for the default survey). */
export function maxScore(survey: Survey): number {
  return survey.questions.reduce((sum, q) => sum + Math.max(0, ...q.options.map((o) => o.points)), 0);
}

export function segmentFor(survey: Survey, score: number): Segment {
  if (score <= survey.segments.coldMax) return 'cold';
  if (score <= survey.segments.warmMax) return 'warm';
  return 'hot';
}

/** Scores the answers given so far; an answer to an unknown question or option counts nothing. */
export function scoreSurvey(survey: Survey, answers: Record<string, string>): SurveyOutcome {
  const pointsOf = (questionId: string | undefined): number | null => {
    if (!questionId) return null;
    const option = findOption(survey, questionId, answers[questionId]);
    return option ? option.points : null;
  };
  const score = survey.questions.reduce((sum, q) => sum + (pointsOf(q.id) ?? 0), 0);
  return {
    score,
    maxScore: maxScore(survey),
    segment: segmentFor(survey, score),
    budgetLevel: pointsOf(survey.budgetQuestion),
    urgencyLevel: pointsOf(survey.urgencyQuestion),
  };
}

export function findOption(survey: Survey, questionId: string, code: string | undefined): SurveyOption | undefined {
  return survey.questions.find((q) => q.id === questionId)?.options.find((o) => o.code === code);
}
