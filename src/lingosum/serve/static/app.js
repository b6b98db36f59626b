// The lingosum web page: plain JavaScript over the server's own API, nothing fetched
// from anywhere else.
"use strict";

const $ = (id) => document.getElementById(id);
let settings = { charLimit: -1, frontendTimeout: 60000, keyRequired: false };
let names = {};

async function call(path, body) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), settings.frontendTimeout);
  try {
    const response = await fetch(path, {
      method: body ? "POST" : "GET",
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
      signal: controller.signal,
    });
    let data = null;
    try { data = await response.json(); } catch (_) { data = null; }
    if (!response.ok) {
      throw new Error((data && data.error) || `${response.status} ${response.statusText}`);
    }
    return data;
  } catch (error) {
    if (error.name === "AbortError") throw new Error("The server took too long to answer.");
    if (error instanceof TypeError) throw new Error("Cannot reach the server.");
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

function setBusy(busy, what) {
  $("translate").disabled = busy;
  $("summarize").disabled = busy;
  $("status").textContent = busy ? what : "";
}

function showResult(text, detected) {
  $("output").textContent = text;
  $("copy").disabled = !text;
  $("detected").textContent = detected
    ? `Detected: ${names[detected.language] || detected.language} (${Math.round(detected.confidence)}%)`
    : "";
}

function request() {
  const body = { q: $("input").value, source: $("source").value, target: $("target").value };
  if (settings.keyRequired) body.api_key = $("api-key").value;
  return body;
}

async function run(path, what, extra, pick) {
  showError("");
  if (!$("input").value.trim()) { showError("Type some text first."); return; }
  setBusy(true, what);
  try {
    const data = await call(path, { ...request(), ...extra });
    showResult(pick(data), data.detectedLanguage);
  } catch (error) {
    showResult("", null);
    showError(error.message);
  } finally {
    setBusy(false, "");
  }
}

function fillLanguages(languages) {
  const sources = $("source");
  const targets = new Set();
  for (const language of languages) {
    names[language.code] = language.name;
    sources.add(new Option(language.name, language.code));
    language.targets.forEach((code) => targets.add(code));
  }
  for (const code of [...targets].sort()) {
    $("target").add(new Option(names[code] || code, code));
  }
  $("target").value = settings.language ? settings.language.target.code : $("target").value;
}

function updateCount() {
  const count = $("input").value.length;
  $("chars").textContent = count;
  $("chars").className = settings.charLimit > 0 && count > settings.charLimit ? "over" : "";
}

async function copyResult() {
  const text = $("output").textContent;
  try {
    await navigator.clipboard.writeText(text);
  } catch (_) {
    const range = document.createRange();
    range.selectNodeContents($("output"));
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    document.execCommand("copy");
  }
  $("status").textContent = "Copied.";
}

async function start() {
  $("translate").addEventListener("click", () =>
    run("/translate", "Translating…", {}, (data) => data.translatedText));
  $("summarize").addEventListener("click", () =>
    run("/summarize", "Summarizing…", { length: $("length").value }, (data) => data.summary));
  $("copy").addEventListener("click", copyResult);
  $("input").addEventListener("input", updateCount);
  try {
    settings = await call("/frontend/settings");
    $("limit").textContent = settings.charLimit > 0 ? settings.charLimit : "no limit";
    $("key-label").hidden = !settings.keyRequired;
    fillLanguages(await call("/languages"));
  } catch (error) {
    showError(`Cannot load the languages: ${error.message}`);
  }
}

start();
