import "./style.css";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router";
import { Provider } from "urql";
import { App } from "./App";
import { makeClient } from "./client";
import { SessionGate } from "./session";

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <Provider value={makeClient()}>
        <BrowserRouter>
          <SessionGate>
            <App />
          </SessionGate>
        </BrowserRouter>
      </Provider>
    </StrictMode>,
  );
}
