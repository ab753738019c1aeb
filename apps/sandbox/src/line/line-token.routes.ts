import { randomUUID } from 'node:crypto';
import express, { Router } from 'express';
import { LineTokenIssuer, LineTokenRefusal, recordedForm } from './line-token.issuer';

/** `POST /oauth2/v3/token`: stateless channel access tokens, as LINE issues them (line-token.issuer.ts). */
export function lineTokenRoutes(issuer: LineTokenIssuer): Router {
  const router = express.Router();
  router.post('/oauth2/v3/token', express.raw({ type: () => true, limit: '16kb' }), (req, res) => {
    res.setHeader('x-line-request-id', randomUUID());
    const contentType = typeof req.headers['content-type'] === 'string' ? req.headers['content-type'] : null;
    const isForm = /^application\/x-www-form-urlencoded\s*(;|$)/i.test(contentType ?? '');
    const text = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    const form = isForm ? Object.fromEntries(new URLSearchParams(text)) : null;
    const at = new Date().toISOString();
    try {
      const grant = issuer.issue(form);
      issuer.record({ at, contentType, form: recordedForm(form), status: 200, error: null });
      res.setHeader('cache-control', 'no-store');
      res.status(200).json(grant);
    } catch (err) {
      if (!(err instanceof LineTokenRefusal)) throw err;
      issuer.record({ at, contentType, form: recordedForm(form), status: err.status, error: err.error });
      res.status(err.status).json({ error: err.error, error_description: err.message });
    }
  });
  return router;
}
