import { escapeHtml, html, safePath } from './html';

describe('console html escaping', () => {
  it('escapes every interpolated value, quotes and backticks included', () => {
    const evil = `<script>alert("x")</script>' onmouseover=\`1\` &`;
    const out = html`<p title="${evil}">${evil}</p>`.value;
    expect(out).not.toContain('<script>');
    expect(out).not.toMatch(/"[^"]*" onmouseover/);
    expect(out).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#96;1&#96; &amp;');
  });

  it('passes nested fragments through once, and arrays and empty values sensibly', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<div>${inner}${[html`<hr>`, 'a&b']}${null}${undefined}${false}${0}</div>`.value).toBe('<div><b>&lt;i&gt;</b><hr>a&amp;b0</div>');
    expect(escapeHtml(42)).toBe('42');
  });

  it('lets only console paths into links', () => {
    expect(safePath('/console/contacts/1')).toBe('/console/contacts/1');
    expect(safePath('//evil.example/console')).toBe('#');
    expect(safePath('javascript:alert(1)')).toBe('#');
    expect(safePath('https://evil.example/')).toBe('#');
  });
});
