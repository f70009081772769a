// Renderer entry: pick the transport (IPC inside Electron, HTTP + SSE in a browser),
// make the store, render. Runs from app://streamtap/ in Electron and under /__streamtap/
// in a browser, so nothing here assumes a URL layout beyond the API prefix.

// First: the contract builds zod schemas on import (see zod-jitless.ts).
import '../src-main/common/zod-jitless.js';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { connect } from './api/index.js';
import { createAppStore } from './stores/app-store.js';
import { AppContext } from './stores/app-context.js';
import './styles.css';

const root = createRoot(document.getElementById('root')!);
const connected = connect();
if (!connected.ok) {
  root.render(
    <div className="fatal">
      <h1>Streamtap</h1>
      <p>{connected.error}</p>
    </div>,
  );
} else {
  const app = createAppStore(connected.api);
  document.documentElement.dataset['transport'] = connected.api.transport;
  root.render(
    <StrictMode>
      <AppContext.Provider value={app}>
        <App />
      </AppContext.Provider>
    </StrictMode>,
  );
}
