// Fixes to Sphinx's search page, loaded on every page after Sphinx's translations.

// Opened from disk (file://), the browser refuses the requests that fetch each result's
// summary, and the search stops halfway with errors: list the results without summaries.
if (location.protocol === "file:") DOCUMENTATION_OPTIONS.SHOW_SEARCH_SUMMARY = false;

// Sphinx's Korean catalog leaves the closing line of a search empty (Sphinx 9.0).
if (DOCUMENTATION_OPTIONS.LANGUAGE === "ko") {
  Object.assign(Documentation.TRANSLATIONS, {
    "Search finished, found one page matching the search query.": [
      "검색을 마쳤습니다. 검색어와 일치하는 페이지를 ${resultCount}개 찾았습니다.",
    ],
  });
}
