import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "#web/app/App.tsx";
import "#web/app/global.css";

const container = document.getElementById("root");
if (container === null) throw new Error("index.html has no #root element");

createRoot(container).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
