export { createScrapeService, type ExpositionSource, type ScrapeJob, type ScrapeLimits, type ScrapeReport, type ScrapeService } from "#server/modules/scrape/scrape.service.ts";
export { createScrapeScheduler, type ScrapeScheduler } from "#server/modules/scrape/scrape-scheduler.ts";
