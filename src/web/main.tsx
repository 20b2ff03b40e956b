// The dashboard's entry point (bundled by scripts/build-dashboard.mjs).
import { render } from 'preact';

import { App } from './app.tsx';
import { readPageConfig } from './pageConfig.ts';
import './styles.css';

render(<App config={readPageConfig(document)} />, document.getElementById('app')!);
