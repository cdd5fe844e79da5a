import { cancelTimer, log, startTimer, type Turn } from '../kernel.ts';
import type { CallState, Next } from '../types.ts';
import { say, silence } from './playlist.ts';

/** After the agent: the satisfaction survey where the center has one, else the call ends. */

function surveyOf(t: Turn) {
  const id = t.plan.center.survey;
  const survey = id ? t.plan.selfService.get(id) : undefined;
  return survey?.kind === 'survey' ? survey : undefined;
}

/** The agent has gone: the caller is asked for a score, or hung up when there is no survey. */
export function startSurvey(s: CallState, t: Turn): Next | undefined {
  const survey = surveyOf(t);
  if (!survey) {
    s.stage = 'closing';
    t.out.push({ kind: 'hangup', channel: s.callerChannel, reason: 'normal' });
    return undefined;
  }
  s.stage = 'survey';
  s.surveyListening = true;
  return say(s, t, [survey.prompt], { kind: 'survey-listen' });
}

export function surveyListen(s: CallState, t: Turn): void {
  const survey = surveyOf(t);
  if (survey) startTimer(s, t, 'survey-input', survey.timeoutSeconds * 1000);
}

export function surveyKey(s: CallState, t: Turn, digit: string): Next | undefined {
  const survey = surveyOf(t)!;
  if (s.playback) silence(s, t);
  s.next = undefined;
  cancelTimer(s, t, 'survey-input');
  s.surveyListening = false;
  const score = Number(digit);
  if (Number.isInteger(score) && score >= 1 && score <= survey.maxScore) {
    s.surveyScore = score;
    log(s, t, 'survey', { score });
  }
  return say(s, t, [survey.thanksPrompt], { kind: 'hangup' });
}

/** The caller keyed nothing: goodbye. */
export function surveyTimeout(s: CallState, t: Turn): void {
  s.surveyListening = false;
  t.out.push({ kind: 'hangup', channel: s.callerChannel, reason: 'normal' });
}
