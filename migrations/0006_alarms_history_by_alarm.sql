-- One alarm's history by time: the alarm page, its backtest and the History page filtered to an
-- alarm read it, and with only the time index they walked every alarm's items in the range
-- (100,000 of them for a few hundred of one alarm's).
CREATE INDEX alarm_history_alarm_time ON alarm_history(alarm_name, ts);
