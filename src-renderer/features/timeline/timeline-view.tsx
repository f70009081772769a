import { forwardRef } from 'react';
import { ActivityChart } from './activity-chart.js';
import { ExportControls } from './export-controls.js';
import { FilterBar } from './filter-bar.js';
import { SummaryStrip } from './summary-strip.js';
import { TimelineTable } from './timeline-table.js';

export const TimelineView = forwardRef<HTMLInputElement>(function TimelineView(_props, searchRef) {
  return (
    <section className="timeline" aria-label="Timeline">
      <div className="toolbar">
        <FilterBar ref={searchRef} />
        <ExportControls />
      </div>
      <SummaryStrip />
      <ActivityChart />
      <TimelineTable />
    </section>
  );
});
