/**
 * A confirmation dialog (native `<dialog>`: modal, focus kept inside, Escape cancels).
 * `useConfirm()` gives the element to render and `ask(text)`, which resolves true on OK.
 */
import { useRef, useState } from 'preact/hooks';

/** Returns `[dialog element, ask]`. */
export function useConfirm(): [
  preact.JSX.Element,
  (text: string, action: string) => Promise<boolean>,
] {
  const ref = useRef<HTMLDialogElement>(null);
  const [state, setState] = useState({ text: '', action: 'OK' });
  const resolver = useRef<(ok: boolean) => void>(() => undefined);
  const ask = (text: string, action: string) =>
    new Promise<boolean>((resolve) => {
      resolver.current = resolve;
      setState({ text, action });
      ref.current?.showModal();
    });
  const close = (ok: boolean) => {
    ref.current?.close();
    resolver.current(ok);
    resolver.current = () => undefined;
  };
  const el = (
    <dialog ref={ref} aria-labelledby="confirm-text" onCancel={() => close(false)}>
      <p id="confirm-text">{state.text}</p>
      <div class="row">
        <button type="button" autofocus onClick={() => close(false)}>
          Cancel
        </button>
        <button type="button" class="danger" onClick={() => close(true)}>
          {state.action}
        </button>
      </div>
    </dialog>
  );
  return [el, ask];
}
