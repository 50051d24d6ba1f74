import { expectText, press, say, type Step } from './lead-walker';
import { FULL } from './scale';

/** start → bonus (a 3-second durable timer) → opening question → survey of 5 → result → free text → contact form. */
export const FULL_JOURNEY: Step[] = [
  say('/start faults'),
  press('Получить бонус'),
  press('Хочу управлять капиталом'),
  press('Пройти опрос'),
  press('Торгую сам'),
  press('Пассивный доход'),
  press('Через месяц'),
  press('$100–500'),
  press('Да, готов'),
  press('Что дальше?'),
  say('как начать?'),
  say('/contact'),
  expectText('Оставьте номер телефона'),
  say('+7 912 345-67-89'),
  expectText('Как к вам обращаться?'),
  say('Анна'),
  press('Пропустить'),
  expectText('Заявка у менеджера'),
];
/** CI's shorter walk: start → bonus and its timer → opening question → survey's first answer → free text. */
export const CI_JOURNEY: Step[] = [
  say('/start faults'),
  press('Получить бонус'),
  press('Хочу управлять капиталом'),
  press('Пройти опрос'),
  press('Торгую сам'),
  say('как начать?'),
  expectText('Спасибо за сообщение'),
];
export const JOURNEY = FULL ? FULL_JOURNEY : CI_JOURNEY;
export const JOURNEY_NAME = FULL ? 'start, bonus + 3 s timer, survey, result, free text, contact form' : 'start, bonus + 3 s timer, survey, free text';
