import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../lib/domain/errors.ts';
import { sanitizeDnsName } from '../../../lib/domain/render/index.ts';
import { renderTemplate } from '../../../lib/domain/render/template.ts';
import { renderErrorOf } from './render-error.ts';

const vars = {
  SHA: 'ea8ab1a1c2d3',
  BRANCH: 'feature/My_Feature',
  TAG: 'v1.2.3',
  PR_NUMBER: '42',
  EMPTY: '',
  name: 'lower-case item var',
};

const render = (text: string) => renderTemplate(text, vars, 'field');

const errorOf = (text: string) =>
  renderErrorOf(() => renderTemplate(text, vars, 'environments[staging/web].values.image'));

describe('sanitizeDnsName', () => {
  it.each([
    ['feature/my-feature', 'feature-my-feature'],
    ['dependabot/npm_and_yarn/ws-5.2.3', 'dependabot-npm-and-yarn-ws-5-2-3'],
    ['Feature/ABC', 'feature-abc'],
    ['/leading/and/trailing/', 'leading-and-trailing'],
  ])('turns %s into %s', (input, expected) => {
    expect(sanitizeDnsName(input)).toBe(expected);
  });

  it('truncates to 53 characters and trims a dash left at the cut', () => {
    const long = `${'a'.repeat(52)}/bbbb`;
    expect(sanitizeDnsName(long)).toBe('a'.repeat(52));
  });
});

describe('renderTemplate', () => {
  it('substitutes Go-style variables and keeps the text around them', () => {
    expect(render('ghcr.io/acme/web:{{ .SHA }}')).toBe('ghcr.io/acme/web:ea8ab1a1c2d3');
    expect(render('pr-{{.PR_NUMBER}}-{{ .name }}')).toBe('pr-42-lower-case item var');
  });

  it('leaves strings without an action untouched', () => {
    expect(render('plain } { text \\ "quoted"')).toBe('plain } { text \\ "quoted"');
  });

  it('pipes the value in as the last argument', () => {
    expect(render('preview-{{ .BRANCH | sanitizeDNSName }}')).toBe('preview-feature-my-feature');
    expect(render('{{ .SHA | trunc 7 }}')).toBe('ea8ab1a');
    expect(render('{{ .TAG | trimPrefix "v" }}')).toBe('1.2.3');
    expect(render('{{ .BRANCH | replace "/" "_" | upper }}')).toBe('FEATURE_MY_FEATURE');
    expect(render('{{ .EMPTY | default "main" }}')).toBe('main');
  });

  it('evaluates nested calls as the Gimlet docs show them', () => {
    expect(render('{{ trunc 12 (printf "x-%s" .BRANCH) | sanitizeDNSName }}')).toBe('x-feature-my');
    expect(render('{{ quote .SHA }}')).toBe('"ea8ab1a1c2d3"');
    expect(render('{{ lower "ABC" }}{{ .SHA | trunc -4 }}')).toBe('abcc2d3');
  });

  it('keeps literal text that looks like Handlebars syntax literal', () => {
    expect(render('\\{{ .SHA }} {{ "{{ raw }}" }} {{ `a"b` }}')).toBe('\\ea8ab1a1c2d3 {{ raw }} a"b');
  });

  it('honours trim markers and comments', () => {
    expect(render('a  {{- .PR_NUMBER -}}  b{{/* note */}}c {{- /* x */ -}} d')).toBe('a42bcd');
  });

  it('names the missing variable and the field', () => {
    const error = errorOf('{{ .SHA }}-{{ .IMAGE }}');
    expect(error.message).toBe(
      'environments[staging/web].values.image: template variable "IMAGE" is not set',
    );
    expect(error.retryable).toBe(false);
    expect(error).toBeInstanceOf(ValidationError);
  });

  it('treats inherited object properties as unset variables', () => {
    expect(errorOf('{{ .constructor }}').message).toContain('template variable "constructor" is not set');
  });

  it('names an unknown function', () => {
    expect(errorOf('{{ .SHA | sha256sum }}').message).toContain('unknown template function "sha256sum"');
    expect(errorOf('{{ helperMissing .SHA }}').message).toContain(
      'unknown template function "helperMissing"',
    );
  });

  it.each([
    ['{{ if .SHA }}x{{ end }}', '"if" is not supported'],
    ['{{ $x := .SHA }}', 'template variables ($x) are not supported'],
    ['{{ .SHA', 'unclosed action'],
    ['{{ trunc "7" .SHA }}', 'trunc: expected a number'],
    ['{{ lower }}', 'lower: wrong number of arguments: want 1, got 0'],
    ['{{ .SHA .TAG }}', 'it is not a function'],
    ['{{ printf "%s-%s" .SHA }}', 'printf: missing argument'],
  ])('refuses %s', (text, message) => {
    expect(errorOf(text).message).toContain(message);
  });
});
