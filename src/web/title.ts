import { useEffect } from 'preact/hooks';

/** The tab's title names the page (screen readers announce it on navigation). */
export function useTitle(page: string): void {
  useEffect(() => {
    document.title = `${page} · groupgraph`;
  }, [page]);
}
