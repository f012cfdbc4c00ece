import { render } from 'preact';
import './style.css';
import { Shell } from './shell.ts';
import { html } from './ui.ts';

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(html`<${Shell} />`, root);
}
