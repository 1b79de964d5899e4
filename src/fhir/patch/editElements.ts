import type { ElementRef } from "./selectPatchTargets.ts";

type Json = Record<string, unknown>;

/** One element's place: `container[key]`, or `container[key][index]` in a list. */
export interface Slot {
  container: Json;
  key: string;
  index: number | undefined;
}

/*
 * Edits of FHIR JSON that keep a primitive's `_key` companion (its id and extensions) in step
 * with the value: the same position in parallel arrays, dropped when it holds nothing.
 * @see https://hl7.org/fhir/R4/json.html#primitive
 */

/** The element's value (for a primitive: without its `_key` companion). */
export function valueAt(slot: Slot): unknown {
  const value = slot.container[slot.key];
  if (slot.index === undefined) return value;
  return Array.isArray(value) ? value[slot.index] : undefined;
}

/** The `_key` companion of a primitive element, created when absent (to give it an extension). */
export function ensureCompanion(slot: Slot): Json {
  const companionKey = `_${slot.key}`;
  if (slot.index === undefined) {
    const existing = slot.container[companionKey];
    if (isObject(existing)) return existing;
    const created: Json = {};
    setOwn(slot.container, companionKey, created);
    return created;
  }
  const companions = companionList(slot.container, slot.key);
  const existing = companions[slot.index];
  if (isObject(existing)) return existing;
  const created: Json = {};
  companions[slot.index] = created;
  return created;
}

/** Writes a whole element, value and companion: without `element`, the old id and extensions go. */
export function setElement(slot: Slot, value: unknown, element?: Json): void {
  const { container, key, index } = slot;
  if (index === undefined) {
    setOwn(container, key, value);
    if (element === undefined) delete container[`_${key}`];
    else setOwn(container, `_${key}`, element);
    return;
  }
  (container[key] as unknown[])[index] = value;
  if (element !== undefined || Array.isArray(container[`_${key}`]))
    companionList(container, key)[index] = element ?? null;
  tidyCompanions(container, key);
}

/** Inserts an element into the list `container[key]` (created when absent) at `index`. */
export function insertElement(container: Json, key: string, index: number, value: unknown, element?: Json): void {
  if (!Array.isArray(container[key])) setOwn(container, key, []);
  if (element !== undefined || Array.isArray(container[`_${key}`]))
    companionList(container, key).splice(index, 0, element ?? null);
  (container[key] as unknown[]).splice(index, 0, value);
  tidyCompanions(container, key);
}

/** Removes an element; a list left empty goes too. */
export function removeElement(slot: Slot): void {
  const { container, key, index } = slot;
  if (index === undefined) {
    delete container[key];
    delete container[`_${key}`];
    return;
  }
  const list = container[key];
  if (Array.isArray(list)) list.splice(index, 1);
  const companions = container[`_${key}`];
  if (Array.isArray(companions)) companions.splice(index, 1);
  if (!Array.isArray(list) || list.length === 0) {
    delete container[key];
    delete container[`_${key}`];
    return;
  }
  tidyCompanions(container, key);
}

/** Moves the element at `from` to `to` within the list `container[key]`. */
export function moveElement(container: Json, key: string, from: number, to: number): void {
  const list = container[key] as unknown[];
  list.splice(to, 0, list.splice(from, 1)[0]);
  if (Array.isArray(container[`_${key}`])) {
    const companions = companionList(container, key);
    companions.splice(to, 0, companions.splice(from, 1)[0]);
  }
}

/**
 * After a delete: an element left with no content is removed from its owner, and so on up,
 * since FHIR does not allow empty elements (ele-1). The resource itself always keeps its type.
 * @see https://hl7.org/fhir/R4/element.html#invs
 */
export function pruneEmpty(ref: ElementRef): void {
  let current: ElementRef = ref;
  while (Object.keys(current.container).length === 0 && current.owner !== null) {
    const owner = current.owner;
    const value = valueAt(owner);
    if (value === current.container || value === null || value === undefined) {
      removeElement(owner);
    } else if (owner.index === undefined) {
      delete owner.container[`_${owner.key}`];
    } else {
      companionList(owner.container, owner.key)[owner.index] = null;
      tidyCompanions(owner.container, owner.key);
    }
    current = owner;
  }
}

/** The `_key` list, created or padded with nulls to the length of `container[key]`. */
function companionList(container: Json, key: string): unknown[] {
  const length = Array.isArray(container[key]) ? container[key].length : 0;
  let companions = container[`_${key}`];
  if (!Array.isArray(companions)) {
    companions = [];
    setOwn(container, `_${key}`, companions);
  }
  const list = companions as unknown[];
  while (list.length < length) list.push(null);
  return list;
}

/** A `_key` list of nulls only says nothing: drop it. */
function tidyCompanions(container: Json, key: string): void {
  const companions = container[`_${key}`];
  if (Array.isArray(companions) && companions.every((c) => c === null)) delete container[`_${key}`];
}

/** Defines an own property, so a key such as "__proto__" is data, never a prototype change. */
function setOwn(target: Json, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
