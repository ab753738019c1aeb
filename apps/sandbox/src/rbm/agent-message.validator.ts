/*
 * The checks RBM makes on an `agentMessages.create` body, so the sandbox refuses with
 * 400 INVALID_ARGUMENT what the real API would refuse, instead of hiding an adapter bug.
 * Returns the problem, or null when the body is acceptable.
 */

const TRAFFIC_TYPES = new Set(['AUTHENTICATION', 'TRANSACTION', 'PROMOTION', 'SERVICEREQUEST', 'ACKNOWLEDGEMENT']);
const HEIGHTS = new Set(['SHORT', 'MEDIUM', 'TALL']);

type Json = Record<string, unknown>;

export function validateAgentMessage(body: unknown): string | null {
  if (!isObject(body)) return 'the body must be an AgentMessage object';
  const content = body.contentMessage;
  if (!isObject(content)) return 'contentMessage is required';
  const kinds = ['text', 'richCard', 'uploadedRbmFile', 'contentInfo'].filter((k) => content[k] !== undefined);
  if (kinds.length !== 1) return 'contentMessage must have exactly one of text, richCard, uploadedRbmFile, contentInfo';
  if (content.text !== undefined) {
    if (typeof content.text !== 'string' || content.text.length === 0) return 'contentMessage.text must be a non-empty string';
    if (content.text.length > 3072) return 'contentMessage.text is longer than 3072 characters';
  }
  if (content.richCard !== undefined) {
    const problem = validateRichCard(content.richCard);
    if (problem) return problem;
  }
  if (content.suggestions !== undefined) {
    const problem = validateSuggestions(content.suggestions, 11, 'contentMessage.suggestions');
    if (problem) return problem;
  }
  if (body.messageTrafficType !== undefined && !TRAFFIC_TYPES.has(String(body.messageTrafficType))) {
    return 'messageTrafficType is not a known value';
  }
  if (body.ttl !== undefined && body.expireTime !== undefined) return 'only one of ttl and expireTime may be set';
  if (body.ttl !== undefined && (typeof body.ttl !== 'string' || !/^\d+(\.\d{1,9})?s$/.test(body.ttl))) {
    return 'ttl must be a duration like "3.5s"';
  }
  return null;
}

function validateRichCard(card: unknown): string | null {
  if (!isObject(card)) return 'richCard must be an object';
  const standalone = card.standaloneCard;
  if (!isObject(standalone)) return 'the sandbox supports richCard.standaloneCard only';
  const content = standalone.cardContent;
  if (!isObject(content)) return 'standaloneCard.cardContent is required';
  if (content.title === undefined && content.description === undefined && content.media === undefined) {
    return 'cardContent needs a title, a description or media';
  }
  if (content.title !== undefined && (typeof content.title !== 'string' || content.title.length > 200)) {
    return 'cardContent.title must be a string of at most 200 characters';
  }
  if (content.description !== undefined && (typeof content.description !== 'string' || content.description.length > 2000)) {
    return 'cardContent.description must be a string of at most 2000 characters';
  }
  if (content.media !== undefined) {
    const media = content.media;
    if (!isObject(media) || !HEIGHTS.has(String(media.height))) return 'cardContent.media.height is required';
    const info = media.contentInfo;
    if (!isObject(info) || typeof info.fileUrl !== 'string' || !/^https:\/\//.test(info.fileUrl)) {
      return 'cardContent.media.contentInfo.fileUrl must be an https URL';
    }
  }
  if (content.suggestions !== undefined) return validateSuggestions(content.suggestions, 4, 'cardContent.suggestions');
  return null;
}

function validateSuggestions(value: unknown, max: number, where: string): string | null {
  if (!Array.isArray(value) || value.length > max) return `${where} must be a list of at most ${max}`;
  for (const suggestion of value) {
    if (!isObject(suggestion)) return `${where} entries must be objects`;
    const inner = isObject(suggestion.reply) ? suggestion.reply : isObject(suggestion.action) ? suggestion.action : null;
    if (!inner) return `${where} entries need reply or action`;
    if (typeof inner.text !== 'string' || inner.text.length === 0 || inner.text.length > 25) {
      return `${where} text must be 1 to 25 characters`;
    }
    if (typeof inner.postbackData !== 'string' || inner.postbackData.length > 2048) {
      return `${where} postbackData must be a string of at most 2048 characters`;
    }
    if (suggestion.action !== undefined) {
      const open = inner.openUrlAction;
      const dial = inner.dialAction;
      if (isObject(open) ? typeof open.url !== 'string' : !isObject(dial) || typeof dial.phoneNumber !== 'string') {
        return `${where} actions need openUrlAction.url or dialAction.phoneNumber`;
      }
    }
  }
  return null;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
