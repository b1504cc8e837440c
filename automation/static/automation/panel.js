// The Automation Panel: plain JavaScript over the same REST API that clients use.
// Everything user-provided is inserted with textContent, never as HTML.
"use strict";

const API = "/api/automation/";
const TERMINAL = new Set(["completed", "failed", "cancelled"]);
const csrfToken = document.querySelector('meta[name="csrf-token"]').content;

async function api(path, { method = "GET", body } = {}) {
  const response = await fetch(API + path, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken, Accept: "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await response.json(); } catch (_) { /* empty body */ }
  return { status: response.status, ok: response.ok, data, headers: response.headers };
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function errorText(data) {
  if (!data) return "Request failed.";
  if (typeof data.detail === "string") return data.detail;
  return Object.entries(data).map(([field, messages]) => `${field}: ${[].concat(messages).map(m => typeof m === "object" ? JSON.stringify(m) : m).join(" ")}`).join("; ");
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

// --- Tabs -------------------------------------------------------------------------------

function showTab(name) {
  for (const button of document.querySelectorAll(".tabs button")) {
    button.setAttribute("aria-selected", String(button.dataset.tab === name));
  }
  for (const section of document.querySelectorAll(".tab")) section.hidden = section.id !== `tab-${name}`;
  if (name === "jobs") loadJobs();
  if (history.replaceState) history.replaceState(null, "", `#${name}`);
}

// --- Vocabularies from the API ------------------------------------------------------------

const vocabularies = {};

function optionList(value) {
  if (!Array.isArray(value)) return [];
  return value.map(item => typeof item === "string" ? { name: item, label: item } : { name: item.name ?? item.code ?? item.value ?? item.id, label: item.label ?? item.name ?? item.value, isDefault: item.default === true });
}

function fillSelects() {
  for (const select of document.querySelectorAll("select[data-options], datalist[data-options]")) {
    const [source, key] = select.dataset.options.split(".");
    const items = optionList((vocabularies[source] || {})[key]);
    select.replaceChildren();
    if (select.dataset.optional) select.append(el("option", { value: "", text: "—" }));
    for (const item of items) select.append(el("option", { value: item.name, text: item.label || item.name }));
    // A vocabulary that names the server's default (providers, languages) starts on it.
    const preset = items.find(item => item.isDefault);
    if (preset) select.value = preset.name;
  }
  // Sensible first choices, matching the original examples.
  setValue("#dialogue-form [name=dialogue_type]", "conflict");
  setValue("#dialogue-form [name=mood]", "tense");
  setValue("#grid-form [name=grid_size]", "3x3");
  selectMany("#grid-form [name=outfits]", ["casual", "combat", "armor"]);
  selectMany("#grid-form [name=poses]", ["standing", "walking", "fighting", "casting"]);
  selectMany("#grid-form [name=expressions]", ["neutral", "happy", "angry", "determined"]);
  setValue("#prompt-form [name=style]", "fantasy");
  setValue("#prompt-form [name=lighting]", "dramatic");
  setValue("#prompt-form [name=mood]", "epic");
  setValue("#prompt-form [name=quality]", "high");
}

function setValue(selector, value) {
  const field = document.querySelector(selector);
  if (field && [...field.options].some(o => o.value === value)) field.value = value;
}

function selectMany(selector, values) {
  const field = document.querySelector(selector);
  if (field) for (const option of field.options) option.selected = values.includes(option.value);
}

async function loadVocabularies() {
  const [dialogue, grid, prompt] = await Promise.all([api("dialogue/options"), api("character/grid/options"), api("prompt/styles")]);
  vocabularies.dialogue = dialogue.data || {};
  vocabularies.grid = grid.data || {};
  vocabularies.prompt = prompt.data || {};
  fillSelects();
  addCharacterRow({ character_id: "hero_001", name: "Héros", archetype: "hero" });
  addCharacterRow({ character_id: "villain_001", name: "Méchant", archetype: "villain" });
  loadSavedCharacters();
}

// --- Following a job ----------------------------------------------------------------------

function jobWidget(slot) {
  const node = document.getElementById("job-template").content.firstElementChild.cloneNode(true);
  slot.replaceChildren(node);
  return {
    node,
    update(job) {
      node.dataset.jobId = job.job_id;
      node.dataset.status = job.status;
      const status = node.querySelector(".job-status");
      status.textContent = `${job.type} job: ${job.status}` + (job.retry_count ? ` (retry ${job.retry_count}/${job.max_retries})` : "");
      status.className = `job-status status-${job.status}`;
      node.querySelector("progress").value = job.progress || 0;
      node.querySelector(".job-error").textContent = job.status === "failed" || job.status === "pending" ? job.error || "" : "";
      node.querySelector(".job-retry").hidden = !["failed", "cancelled"].includes(job.status);
    },
  };
}

async function followJob(job, slot, onDone) {
  const widget = jobWidget(slot);
  widget.update(job);
  widget.node.querySelector(".job-retry").addEventListener("click", async () => {
    const response = await api(`jobs/${job.job_id}/retry`, { method: "POST" });
    if (response.ok) followJob(response.data, slot, onDone);
    else widget.node.querySelector(".job-error").textContent = errorText(response.data);
  });
  while (!TERMINAL.has(job.status)) {
    await sleep(400);
    const response = await api(`jobs/${job.job_id}`);
    if (!response.ok) break;
    job = response.data;
    widget.update(job);
  }
  if (job.status === "completed") onDone(job);
  return job;
}

async function submitJob(form, path, payload, slot, onDone) {
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const response = await api(path, { method: "POST", body: payload });
    if (!response.ok) {
      slot.replaceChildren(el("p", { class: "error", text: errorText(response.data) }));
      return;
    }
    await followJob(response.data, slot, onDone);
  } finally {
    button.disabled = false;
  }
}

function formValues(form) {
  const values = {};
  for (const field of form.elements) {
    if (!field.name || field.closest(".character-row")) continue;
    if (field.multiple) values[field.name] = [...field.selectedOptions].map(o => o.value);
    else if (field.value !== "") values[field.name] = field.type === "number" ? Number(field.value) : field.value;
  }
  return values;
}

function copyButton(text) {
  return el("button", {
    type: "button", class: "secondary copy", text: "Copy",
    onclick: async event => {
      await navigator.clipboard.writeText(text);
      event.target.textContent = "Copied";
    },
  });
}

// --- Dialogue -----------------------------------------------------------------------------

// The traits the sliders offer: the ones that most change what the built-in writer says.
const SLIDER_TRAITS = ["courage", "temper", "patience", "honesty", "humility", "cunning", "compassion", "anxiety"];

function labelled(text, control) {
  // The visible text names the control (a select's own options would otherwise join its name).
  control.setAttribute("aria-label", text);
  return el("label", { class: "field" }, el("span", { text }), control);
}

function addCharacterRow(character = {}) {
  const archetypes = optionList(vocabularies.dialogue.archetypes);
  const archetype = el("select", { name: "archetype" });
  for (const item of archetypes) archetype.append(el("option", { value: item.name, text: item.label }));
  if (character.archetype) archetype.value = character.archetype;
  const pronouns = el("select", { name: "pronouns" }, el("option", { value: "", text: "unknown" }));
  for (const value of vocabularies.dialogue.pronouns || []) pronouns.append(el("option", { value, text: value }));
  pronouns.value = character.pronouns || "";
  // A trait is sent only once its slider is moved: untouched, the archetype's temperament holds.
  const traits = el("details", { class: "traits" }, el("summary", { text: "Personality" }));
  for (const trait of SLIDER_TRAITS) {
    const given = (character.personality_traits || {})[trait];
    const output = el("output", { text: given === undefined ? "default" : String(given) });
    const slider = el("input", { type: "range", min: "0", max: "1", step: "0.1", name: `trait-${trait}`, value: given ?? 0.5 });
    if (given !== undefined) slider.dataset.touched = "true";
    slider.addEventListener("input", () => { slider.dataset.touched = "true"; output.textContent = slider.value; });
    traits.append(el("label", { class: "trait" }, el("span", { text: trait }), slider, output));
  }
  const row = el("div", { class: "character-row" },
    labelled("Character id", el("input", { name: "character_id", value: character.character_id || "", required: "", pattern: "[A-Za-z0-9_-]+" })),
    labelled("Name", el("input", { name: "name", value: character.name || "", required: "" })),
    labelled("Archetype", archetype),
    labelled("Pronouns", pronouns),
    el("button", { type: "button", class: "secondary", text: "Remove", onclick: () => row.remove() }),
    traits);
  document.getElementById("dialogue-characters").append(row);
}

function characterFromRow(row) {
  const character = {
    character_id: row.querySelector("[name=character_id]").value,
    name: row.querySelector("[name=name]").value,
    archetype: row.querySelector("[name=archetype]").value,
  };
  const pronouns = row.querySelector("[name=pronouns]").value;
  if (pronouns) character.pronouns = pronouns;
  const traits = {};
  for (const slider of row.querySelectorAll("input[type=range][data-touched]")) traits[slider.name.slice(6)] = Number(slider.value);
  if (Object.keys(traits).length) character.personality_traits = traits;
  return character;
}

async function loadSavedCharacters() {
  const response = await api("characters/?page_size=100");
  const select = document.getElementById("saved-characters");
  const saved = response.ok ? response.data.results || [] : [];
  select.replaceChildren(el("option", { value: "", text: saved.length ? "—" : "none yet" }));
  for (const character of saved) select.append(el("option", { value: character.character_id, text: `${character.name} (${character.archetype})` }));
  select.onchange = () => {
    const character = saved.find(c => c.character_id === select.value);
    if (character) addCharacterRow(character);
    select.value = "";
  };
}

function renderDialogue(result, container) {
  const list = el("ol", { class: "script" });
  for (const line of result.lines || []) {
    const text = el("span", { class: line.is_thought ? "thought" : "line", text: line.is_thought ? `(${line.dialogue})` : line.dialogue });
    const addressee = (result.characters || []).find(c => c.character_id === line.addressee);
    const speaker = addressee ? `${line.character_name} (to ${addressee.name}):` : `${line.character_name}:`;
    list.append(el("li", {}, el("span", { class: "speaker", text: speaker }), text,
      line.emotion ? el("span", { class: "emotion", text: `[${line.emotion}]` }) : null));
  }
  container.replaceChildren(el("h3", { text: result.title || "Dialogue" }), list);
}

async function loadDialogueHistory() {
  const response = await api("dialogue/history?page_size=10");
  const list = document.getElementById("dialogue-history");
  list.replaceChildren();
  for (const scene of response.data?.results || []) {
    list.append(el("li", {}, el("a", { href: "#dialogue", text: `${scene.title} (${(scene.lines || []).length} lines)`, onclick: () => renderDialogue(scene, document.getElementById("dialogue-result")) })));
  }
}

// --- Grid ---------------------------------------------------------------------------------

function sheetUrl(result) {
  return result.sheet_url || result.sheet_image_url || result.image_url;
}

function renderGrid(result, container) {
  const image = el("img", { class: "sheet", alt: `${result.character_name} ${result.grid_size} character sheet`, src: sheetUrl(result) });
  const panels = el("ol", { class: "panels" });
  for (const panel of result.panels || []) {
    panels.append(el("li", { text: `row ${panel.row}, col ${panel.col}: ${panel.outfit}, ${panel.pose}, ${panel.expression}` }));
  }
  container.replaceChildren(el("h3", { text: `${result.character_name} — ${result.grid_size}` }), image, panels);
}

async function loadGridHistory() {
  const response = await api("character/grid/?page_size=10");
  const list = document.getElementById("grid-history");
  list.replaceChildren();
  for (const grid of response.data?.results || []) {
    list.append(el("li", {}, el("a", { href: "#grid", text: `${grid.character_name} ${grid.grid_size}`, onclick: () => renderGrid(grid, document.getElementById("grid-result")) })));
  }
}

// --- Prompt -------------------------------------------------------------------------------

function renderPrompt(result, container) {
  const blocks = [];
  for (const variant of result.variants || [result]) {
    blocks.push(el("h4", { text: "Prompt" }), el("div", { class: "prompt-box enhanced" }, variant.enhanced_prompt, copyButton(variant.enhanced_prompt)));
    if (variant.negative_prompt) {
      blocks.push(el("h4", { text: "Negative prompt" }), el("div", { class: "prompt-box negative" }, variant.negative_prompt, copyButton(variant.negative_prompt)));
    }
  }
  container.replaceChildren(...blocks);
}

async function loadPromptHistory() {
  const response = await api("prompt/history?page_size=10");
  const list = document.getElementById("prompt-history");
  list.replaceChildren();
  for (const entry of response.data?.results || []) {
    list.append(el("li", {}, el("a", { href: "#prompt", text: entry.original_prompt, onclick: () => renderPrompt(entry.result || entry, document.getElementById("prompt-result")) })));
  }
}

// --- Jobs (the retry queue) ----------------------------------------------------------------

function jobsMessage(text, isError = false) {
  const node = document.getElementById("jobs-message");
  node.textContent = text;
  node.className = isError ? "message error" : "message";
}

let jobsLoad = 0;

async function loadJobs() {
  // Loads overlap (a filter change while the reload after "Retry" is in flight); only the
  // latest may fill the table, or a stale answer would overwrite a newer one.
  const ticket = ++jobsLoad;
  const params = new URLSearchParams({ page_size: "50" });
  const status = document.getElementById("jobs-status").value;
  const type = document.getElementById("jobs-type").value;
  if (status) params.set("status", status);
  if (type) params.set("type", type);
  const response = await api(`jobs/?${params}`);
  if (ticket !== jobsLoad) return;
  const body = document.getElementById("jobs-body");
  body.replaceChildren();
  for (const job of response.data?.results || []) {
    const actions = el("td");
    if (["failed", "cancelled"].includes(job.status)) actions.append(el("button", { type: "button", class: "retry", text: "Retry", onclick: () => jobAction(job, "retry") }));
    if (["pending", "processing", "failed"].includes(job.status)) actions.append(el("button", { type: "button", class: "secondary cancel", text: "Cancel", onclick: () => jobAction(job, "cancel") }));
    body.append(el("tr", { "data-job-id": job.job_id, "data-status": job.status },
      el("td", { text: new Date(job.created_at).toLocaleString() }),
      el("td", { text: job.type }),
      el("td", { class: `status-${job.status}`, text: job.status }),
      el("td", {}, el("progress", { max: "100", value: String(job.progress || 0) })),
      el("td", { class: "error", text: job.error || "" }),
      actions));
  }
  if (!body.children.length) body.append(el("tr", {}, el("td", { colspan: "6", text: "No jobs here." })));
}

async function jobAction(job, action) {
  const response = await api(`jobs/${job.job_id}/${action}`, { method: "POST" });
  jobsMessage(response.ok ? `Job ${action === "retry" ? "re-queued" : "cancelled"}.` : errorText(response.data), !response.ok);
  loadJobs();
}

async function retryAll() {
  const button = document.getElementById("retry-all");
  button.disabled = true;
  const box = document.getElementById("retry-all-progress");
  const bar = box.querySelector("progress");
  const text = box.querySelector(".progress-text");
  try {
    const response = await api("jobs/retry-queue/process", { method: "POST" });
    if (!response.ok) return jobsMessage(errorText(response.data), true);
    const ids = response.data.retried.map(job => job.job_id);
    box.hidden = false;
    bar.max = Math.max(ids.length, 1);
    const finished = new Map();
    while (finished.size < ids.length) {
      bar.value = finished.size;
      text.textContent = `${finished.size}/${ids.length}`;
      await sleep(500);
      for (const id of ids.filter(id => !finished.has(id))) {
        const job = (await api(`jobs/${id}`)).data;
        if (job && TERMINAL.has(job.status)) finished.set(id, job.status);
        else if (job && job.status === "pending" && job.retry_count > 0) finished.set(id, "failed again, retrying later");
      }
    }
    bar.value = bar.max;
    text.textContent = `${ids.length}/${ids.length}`;
    const completed = [...finished.values()].filter(s => s === "completed").length;
    jobsMessage(`Retried ${ids.length} job(s): ${completed} completed, ${ids.length - completed} not.`);
  } finally {
    button.disabled = false;
    loadJobs();
  }
}

async function clearQueue() {
  const response = await api("jobs/retry-queue", { method: "DELETE" });
  jobsMessage(response.ok ? `Cleared ${response.data.count} job(s) from the retry queue (kept as cancelled).` : errorText(response.data), !response.ok);
  loadJobs();
}

// --- Wiring -------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", async () => {
  for (const button of document.querySelectorAll(".tabs button")) button.addEventListener("click", () => showTab(button.dataset.tab));
  showTab((location.hash || "#dialogue").slice(1));

  document.getElementById("add-character").addEventListener("click", () => addCharacterRow());
  document.getElementById("dialogue-form").addEventListener("submit", event => {
    event.preventDefault();
    const form = event.target;
    const values = formValues(form);
    const characters = [...form.querySelectorAll(".character-row")].map(characterFromRow);
    const context = {};
    for (const key of ["location", "time_of_day", "situation", "weather", "mood"]) if (key in values) { context[key] = values[key]; delete values[key]; }
    submitJob(form, "dialogue/generate", { ...values, characters, context }, document.getElementById("dialogue-job"), job => {
      renderDialogue(job.result, document.getElementById("dialogue-result"));
      loadDialogueHistory();
    });
  });
  document.getElementById("grid-form").addEventListener("submit", event => {
    event.preventDefault();
    submitJob(event.target, "character/grid/generate", formValues(event.target), document.getElementById("grid-job"), job => {
      renderGrid(job.result, document.getElementById("grid-result"));
      loadGridHistory();
    });
  });
  document.getElementById("prompt-form").addEventListener("submit", event => {
    event.preventDefault();
    submitJob(event.target, "prompt/enhance", formValues(event.target), document.getElementById("prompt-job"), job => {
      renderPrompt(job.result, document.getElementById("prompt-result"));
      loadPromptHistory();
    });
  });
  // The jobs list stays live while it is on screen.
  setInterval(() => { if (!document.getElementById("tab-jobs").hidden) loadJobs(); }, 2000);
  document.getElementById("jobs-status").addEventListener("change", loadJobs);
  document.getElementById("jobs-type").addEventListener("change", loadJobs);
  document.getElementById("retry-all").addEventListener("click", retryAll);
  document.getElementById("clear-queue").addEventListener("click", clearQueue);
  // Every control now answers (scripts that drive the panel wait for this).
  document.body.dataset.ready = "true";

  await loadVocabularies();
  loadDialogueHistory();
  loadGridHistory();
  loadPromptHistory();
});
