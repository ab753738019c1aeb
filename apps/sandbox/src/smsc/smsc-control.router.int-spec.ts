import express from 'express';
import request from 'supertest';
import { SandboxSmsc, startSandboxSmsc } from './sandbox-smsc';

describe('sandbox SMSC HTTP control', () => {
  let smsc: SandboxSmsc;
  const app = express();
  beforeAll(async () => {
    smsc = await startSandboxSmsc({ systemId: 'sys', password: 'pw' });
    app.use('/smsc', smsc.router);
  });
  afterAll(async () => {
    await smsc?.close();
  });

  it('scripts outcomes and refuses unknown ones', async () => {
    await request(app).post('/smsc/script').send({ destination: '+819012345678', outcome: 'submit_error:0x58' }).expect(200);
    await request(app).post('/smsc/script').send({ destination: '+819012345678', outcome: 'explode' }).expect(400, { code: 'INVALID_REQUEST', message: 'unknown outcome "explode"' });
  });

  it('validates failure requests', async () => {
    await request(app).post('/smsc/fail').send({ mode: 'throttle', durationMs: 500 }).expect(200);
    await request(app).post('/smsc/fail').send({ mode: 'melt' }).expect(400);
    await request(app).post('/smsc/fail').send({ mode: 'malformed_pdu', kind: 'bogus' }).expect(400);
    await request(app).post('/smsc/fail').set('content-type', 'application/json').send('{bad json').expect(400);
  });

  it('answers MO injection with 409 while no ESME is bound, and lists and resets records', async () => {
    await request(app).post('/smsc/mo').send({ from: '+819012345678', to: '0005123456', text: 'hi' }).expect(409);
    await request(app).post('/smsc/mo').send({ from: 1 }).expect(400);
    const records = await request(app).get('/smsc/records').expect(200);
    expect(records.body).toEqual({ total: 0, bound: 0, records: [] });
    await request(app).post('/smsc/reset').expect(200, { ok: true });
  });
});
