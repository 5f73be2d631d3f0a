/**
 * `(ctx, next)` middleware composition, built once when the server is assembled.
 *
 * Every JSON-RPC request of every transport runs through the composed function.
 * With no middleware the composition *is* the terminal handler, so an empty
 * pipeline costs nothing; a middleware that never awaits costs no extra Promise.
 */

export type Next = () => Promise<void>;
export type Middleware<C> = (ctx: C, next: Next) => Promise<void> | void;
export type Terminal<C> = (ctx: C) => Promise<void> | void;

export function compose<C>(middleware: readonly Middleware<C>[], terminal: Terminal<C>): (ctx: C) => Promise<void> | void {
  const chain = [...middleware];
  if (chain.length === 0) return terminal;

  return function run(ctx: C): Promise<void> {
    let lastIndex = -1;
    const dispatch = (index: number): Promise<void> => {
      if (index <= lastIndex) return Promise.reject(new Error('next() called more than once'));
      lastIndex = index;
      try {
        if (index === chain.length) return Promise.resolve(terminal(ctx));
        return Promise.resolve(chain[index]!(ctx, () => dispatch(index + 1)));
      } catch (error) {
        return Promise.reject(error);
      }
    };
    return dispatch(0);
  };
}
