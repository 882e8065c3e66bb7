// The browser side of the playground: GraphiQL over this gateway's own /graphql, opened on the
// client's example operations. Written without JSX so the root tsconfig (Node, no `jsx`) checks it.
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import './page.css';
import { createGraphiQLFetcher, type Fetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { createElement, StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { operationNameFor } from './operationName.ts';
import { parsePlaygroundSettings, PLAYGROUND_SETTINGS_ELEMENT_ID } from './settings.ts';

const settings = parsePlaygroundSettings(document.getElementById(PLAYGROUND_SETTINGS_ELEMENT_ID)?.textContent ?? '');
const headers = Object.keys(settings.headers).length > 0 ? JSON.stringify(settings.headers, null, 2) : '';
document.title = `${settings.title} playground`;

// Relative to the page's origin: the page never talks to any other host.
const send = createGraphiQLFetcher({ url: settings.endpoint, enableIncrementalDelivery: false });
const fetcher: Fetcher = (params, options) =>
  send({ ...params, operationName: operationNameFor(params.query, params.operationName) }, options);

const root = document.getElementById('root');
if (!root) throw new Error('The playground page has no #root element');

createRoot(root).render(
  createElement(
    StrictMode,
    null,
    createElement(GraphiQL, {
      fetcher,
      defaultTabs: settings.operations.map((operation) => ({
        query: operation.document,
        variables: operation.variables,
        headers,
      })),
      defaultHeaders: headers,
      defaultEditorToolsVisibility: headers ? 'headers' : false,
      // A development token must not outlive the tab in localStorage.
      shouldPersistHeaders: false,
    }),
  ),
);
